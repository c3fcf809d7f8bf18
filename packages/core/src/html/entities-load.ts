import { createRequire } from 'node:module';

type Decoders = typeof import('entities/decode');

let decoders: Decoders | null = null;

/**
 * `entities/decode`, loaded synchronously the first time a page needs it (char-refs.ts). The Function's
 * bundle (packages/netlify/scripts/bundle-runtime.ts) puts a static import in place of this file: a
 * receiver decodes every page it reads, and a bundle has no node_modules to load it from.
 */
export function loadEntities(): Decoders {
  decoders ??= createRequire(import.meta.url)('entities/decode') as Decoders;
  return decoders;
}
