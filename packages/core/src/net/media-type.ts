/** `Content-Type: text/html; charset=ISO-8859-1` → `{ type: 'text/html', charset: 'iso-8859-1' }`. */
export function parseContentType(value: string | undefined): { type: string; charset?: string } {
  if (!value) return { type: '' };
  const [essence = '', ...params] = value.split(';');
  const type = essence.trim().toLowerCase();
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (charset) return { type, charset };
  }
  return { type };
}

/** Text we may look into for links: HTML, XHTML, XML and plain text. An absent type counts as text. */
export function isTextualType(type: string): boolean {
  if (type === '') return true;
  return type.startsWith('text/') || type === 'application/xhtml+xml' || type === 'application/xml' || type.endsWith('+xml');
}

/** Decodes a body with the given charset, falling back to UTF-8 for labels TextDecoder doesn't know. */
export function decodeText(bytes: Uint8Array, charset?: string): string {
  if (charset) {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      // unknown label: fall through to UTF-8
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}
