import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalKeyOfPath } from './canonical.ts';

/**
 * A redirect the site declares, in Netlify's notation (which every source is brought to): `:name` stands
 * for one path segment, a final `*` for the rest of the path, and `:splat` in `to` for what `*` matched.
 * Sources: Netlify's `_redirects` file and the `[[redirects]]` of `netlify.toml` (both read here), and
 * Astro's `redirects` (the Astro integration brings `[slug]` and `[...slug]` to this notation).
 */
export interface Redirect {
  from: string;
  to: string;
  /** HTTP status: 301 by default; 200 is a rewrite (the old path shows the new page). */
  status: number;
  /** `301!`: applies even where a file exists at `from`. */
  force: boolean;
  /** Only under conditions (country, language, role, cookie) or for some query parameters. */
  conditional: boolean;
  /** Where it was declared, for messages: `dist/_redirects:3`. */
  origin: string;
}

/** Netlify's `_redirects`: `FROM [query=:param …] TO [STATUS[!]] [Condition=value …]`, `#` comments. */
export function parseRedirectsFile(text: string, origin: string): Redirect[] {
  const out: Redirect[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    const tokens = line.split(/\s+/);
    const from = tokens.shift()!;
    let conditional = false;
    // Query matches (`id=:id`) come between FROM and TO.
    while (tokens.length > 1 && /^[^/:]+=/.test(tokens[0]!)) {
      tokens.shift();
      conditional = true;
    }
    const to = tokens.shift();
    if (to === undefined) return;
    let status = 301;
    let force = false;
    const code = tokens[0] ? /^(\d{3})(!?)$/.exec(tokens[0]) : null;
    if (code) {
      tokens.shift();
      status = Number(code[1]);
      force = code[2] === '!';
    }
    if (tokens.length > 0) conditional = true;
    out.push({ from, to, status, force, conditional, origin: `${origin}:${index + 1}` });
  });
  return out;
}

/**
 * The redirects a built site declares in Netlify's files: `_redirects` in the build output (or, when the
 * build wrote none, in `public/`), then the `[[redirects]]` of `netlify.toml` in the project root, in the
 * order Netlify applies them. A file that can't be read as what it should be is named in `problems`.
 */
export async function readDeclaredRedirects(root: string, outDir?: string): Promise<{ redirects: Redirect[]; problems: string[] }> {
  const redirects: Redirect[] = [];
  const problems: string[] = [];
  const read = async (path: string): Promise<string | null> => readFile(path, 'utf8').catch(() => null);
  for (const path of [outDir ? join(outDir, '_redirects') : null, join(root, 'public', '_redirects')]) {
    if (!path) continue;
    const text = await read(path);
    if (text === null) continue;
    redirects.push(...parseRedirectsFile(text, path));
    break;
  }
  const toml = await read(join(root, 'netlify.toml'));
  if (toml !== null) {
    try {
      // The TOML parser is loaded only for a site that has the file.
      const { parseNetlifyToml } = await import('./netlify-toml.ts');
      redirects.push(...parseNetlifyToml(toml, join(root, 'netlify.toml')));
    } catch (error) {
      problems.push(`${join(root, 'netlify.toml')} is not valid TOML, so its redirects were not read: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { redirects, problems };
}

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'rest' };

/** A path with placeholders, matched against canonical keys segment by segment. */
export interface PathPattern {
  readonly segments: readonly Segment[];
  readonly hasParams: boolean;
}

/** A literal segment in the form canonical keys have (escapes settled). */
function literal(segment: string): string {
  return canonicalKeyOfPath(`/${segment}`, 'http://key.invalid/').slice(1);
}

/** Compiles a `from` (`/blog/:slug`, `/old/*`) or a `to` (`/posts/:slug`, `/new/:splat`) path. */
export function compilePathPattern(path: string, side: 'from' | 'to'): PathPattern {
  const parts = path
    .replace(/[?#].*$/s, '')
    .split('/')
    .slice(1);
  if (parts[parts.length - 1] === '') parts.pop(); // `/old/` is `/old`, and `/` has no segments
  const segments: Segment[] = parts.map((part, i): Segment => {
    const last = i === parts.length - 1;
    if (side === 'from' && part === '*' && last) return { kind: 'rest' };
    if (side === 'to' && part === ':splat' && last) return { kind: 'rest' };
    if (part.length > 1 && part.startsWith(':')) return { kind: 'param', name: part.slice(1) };
    return { kind: 'literal', value: literal(part) };
  });
  return { segments, hasParams: segments.some((s) => s.kind !== 'literal') };
}

/** The placeholders a pattern binds (`splat` for the rest). */
export function patternNames(pattern: PathPattern): string[] {
  return pattern.segments.flatMap((s) => (s.kind === 'param' ? [s.name] : s.kind === 'rest' ? ['splat'] : []));
}

/** The values the pattern's placeholders take in a canonical key, or null when it does not match. */
export function matchPathPattern(pattern: PathPattern, key: string): Record<string, string> | null {
  const parts = key === '/' ? [] : key.split('/').slice(1);
  const params: Record<string, string> = {};
  const { segments } = pattern;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.kind === 'rest') {
      params.splat = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (s.kind === 'literal') {
      if (s.value !== part) return null;
    } else params[s.name] = part;
  }
  return parts.length === segments.length ? params : null;
}

/** The path a pattern names with these values, or null when one is missing. */
export function fillPathPattern(pattern: PathPattern, params: Record<string, string>): string | null {
  const out: string[] = [];
  for (const s of pattern.segments) {
    if (s.kind === 'literal') out.push(s.value);
    else {
      const value = params[s.kind === 'rest' ? 'splat' : s.name];
      if (value === undefined) return null;
      if (value !== '' || s.kind !== 'rest') out.push(value);
    }
  }
  return `/${out.join('/')}`;
}
