import { parse as parseToml } from 'smol-toml';
import type { Redirect } from './redirects.ts';

/** The `[[redirects]]` of a `netlify.toml`. Throws (the TOML parser's error) when the file is not TOML. */
export function parseNetlifyToml(text: string, origin: string): Redirect[] {
  const doc = parseToml(text) as { redirects?: unknown };
  if (!Array.isArray(doc.redirects)) return [];
  const out: Redirect[] = [];
  doc.redirects.forEach((value, index) => {
    const r = value as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || typeof r.from !== 'string' || typeof r.to !== 'string') return;
    const has = (name: string) => typeof r[name] === 'object' && r[name] !== null && Object.keys(r[name] as object).length > 0;
    out.push({
      from: r.from,
      to: r.to,
      status: typeof r.status === 'number' ? r.status : 301,
      force: r.force === true,
      conditional: has('conditions') || has('query'),
      origin: `${origin} [[redirects]] #${index + 1}`,
    });
  });
  return out;
}
