import { VERSION } from '../version.ts';

/**
 * Names the package and, when known, the site on whose behalf we call, so an operator who sees our
 * requests in a log can tell who sent them and why.
 */
export function userAgent(site?: string, purpose?: string): string {
  const parts = [`@pingback/core/${VERSION}`];
  if (site) parts.push(`+${site}`);
  if (purpose) parts.push(purpose);
  return `Pingback/${VERSION} (${parts.join('; ')})`;
}
