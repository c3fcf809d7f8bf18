import { EOF, HtmlScanner, START_TAG } from '../html/html-scan.ts';
import { parseContentType } from '../net/media-type.ts';

/**
 * The character encoding of a fetched HTML page, in the HTML standard's order: a byte-order mark, then the
 * HTTP charset, then a `<meta>` in the first 1024 bytes, then UTF-8.
 */
export function sniffCharset(bytes: Uint8Array, contentType: string | undefined): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  const fromHeader = parseContentType(contentType).charset;
  if (fromHeader && isKnown(fromHeader)) return fromHeader;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  const scanner = new HtmlScanner(head);
  for (let kind = scanner.next(); kind !== EOF; kind = scanner.next()) {
    if (kind !== START_TAG || scanner.name !== 'meta') continue;
    const charset = scanner.attr('charset');
    if (charset && isKnown(charset.trim())) return charset.trim().toLowerCase();
    if (scanner.attr('http-equiv')?.toLowerCase() === 'content-type') {
      const declared = parseContentType(scanner.attr('content') ?? '').charset;
      if (declared && isKnown(declared)) return declared;
    }
  }
  return 'utf-8';
}

function isKnown(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}
