import { WebmentionRefusal } from '../faults.ts';
import { parseContentType } from '../net/media-type.ts';

/** Characters of a source or target URL accepted at most, as sent: far above real permalinks. */
export const MAX_WEBMENTION_URL = 4096;

export interface WebmentionForm {
  /** As sent, without surrounding whitespace. */
  source: string;
  target: string;
  sourceUrl: URL;
  targetUrl: URL;
}

/**
 * Whether a request's Content-Type says it is a form. The spec has senders post
 * `application/x-www-form-urlencoded`; what they send in practice (@remy/webmention, Bridgy, the
 * WordPress plugin, `curl -d`) is exactly that, sometimes with a `charset` parameter, which is ignored:
 * percent-escapes are UTF-8 whatever it says. A request with no Content-Type at all is read as a form
 * too (a few minimal clients omit it); anything else (JSON, multipart, text) is refused with 415.
 */
export function isFormContentType(value: string | null | undefined): boolean {
  if (value === null || value === undefined || value.trim() === '') return true;
  return parseContentType(value).type === 'application/x-www-form-urlencoded';
}

function one(params: URLSearchParams, name: 'source' | 'target'): string {
  // Surrounding whitespace is not part of a URL (the URL parser drops it too); the rest is kept as sent.
  const values = params.getAll(name).map((v) => v.trim());
  if (values.length === 0 || values[0] === '') throw new WebmentionRefusal(name === 'source' ? 'sourceMissing' : 'targetMissing');
  // Two values are refused rather than one picked: a proxy or a log in front of us could pick the other,
  // and then what was checked and what is stored would differ.
  if (values.length > 1) throw new WebmentionRefusal(name === 'source' ? 'sourceRepeated' : 'targetRepeated');
  return values[0]!;
}

function url(value: string, name: 'source' | 'target'): URL {
  const s = name === 'source';
  if (value.length > MAX_WEBMENTION_URL) throw new WebmentionRefusal(s ? 'sourceTooLong' : 'targetTooLong');
  const parsed = URL.parse(value);
  if (!parsed) throw new WebmentionRefusal(s ? 'sourceInvalid' : 'targetInvalid');
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new WebmentionRefusal(s ? 'sourceScheme' : 'targetScheme');
  if (s && (parsed.username || parsed.password)) throw new WebmentionRefusal('sourceCredentials');
  return parsed;
}

const withoutFragment = (u: URL): string => {
  const copy = new URL(u.href);
  copy.hash = '';
  return copy.href;
};

/**
 * The form of a Webmention request (W3C Webmention §3.2.1), checked with no network and no knowledge of
 * the site: a body that is UTF-8, exactly one `source` and one `target` (other parameters, such as
 * Vouch's `vouch`, are ignored), each a valid http(s) URL of at most `MAX_WEBMENTION_URL` characters, a
 * source without credentials, and a source that is not the target once fragments are set aside. Throws a
 * `WebmentionRefusal` naming the 400 to answer.
 */
export function parseWebmentionForm(body: Uint8Array): WebmentionForm {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new WebmentionRefusal('notUtf8');
  }
  const params = new URLSearchParams(text);
  const source = one(params, 'source');
  const target = one(params, 'target');
  const sourceUrl = url(source, 'source');
  const targetUrl = url(target, 'target');
  if (withoutFragment(sourceUrl) === withoutFragment(targetUrl)) throw new WebmentionRefusal('same');
  return { source, target, sourceUrl, targetUrl };
}
