/**
 * undici, loaded on first use. Importing it costs about 90 ms, most of what importing this package
 * costs, and a build that only injects link tags and writes its manifest never makes a request: it
 * should not pay for an HTTP client.
 */
let loading: Promise<typeof import('undici')> | undefined;

export function loadUndici(): Promise<typeof import('undici')> {
  // undici is CommonJS: its `module.exports` is the default export both under Node's loader and in a
  // bundle (esbuild gives a lazily imported CommonJS chunk a default export only, as in @pingback/netlify's
  // Function runtime), so that is what is read, not the named exports Node adds alongside.
  loading ??= import('undici').then((m) => (m as { default?: typeof import('undici') }).default ?? m);
  return loading;
}
