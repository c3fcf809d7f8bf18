/**
 * An export that can't be imported: not well-formed, truncated, not the format it claims, or a map or
 * option that doesn't fit the site. Thrown before anything is written, so a failed import leaves the
 * store as it was; the message names the file, where in it, and what to do.
 */
export class ImportError extends Error {
  override readonly name = 'ImportError';
  readonly code = 'ERR_PINGBACK_IMPORT';
}
