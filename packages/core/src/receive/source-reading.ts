// Everything that reads a fetched source page: the link checks, the bounded document and the
// microformats2 parser (parse5 inside). A receiver loads it when it first fetches a source (see
// `loadSourceReading`), so a cold Function that answers a refused ping, a Webmention's 202 or the read
// endpoint never pays for it.
export { sniffCharset } from './charset.ts';
export { findHtmlLink, jsonHasLink, sourceMedia, textLinkAt } from './link-check.ts';
export { extractFacts, plainFacts, verifySource } from './verify.ts';
