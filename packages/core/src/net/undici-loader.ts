/**
 * undici, loaded on first use. Importing it costs about 90 ms, most of what importing this package
 * costs, and a build that only injects link tags and writes its manifest never makes a request: it
 * should not pay for an HTTP client.
 */
let loading: Promise<typeof import('undici')> | undefined;

export function loadUndici(): Promise<typeof import('undici')> {
  loading ??= import('undici');
  return loading;
}
