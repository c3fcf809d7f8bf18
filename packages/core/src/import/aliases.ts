import { readFile } from 'node:fs/promises';
import { canonicalKey, canonicalKeyOfPath } from '../site/canonical.ts';
import type { SiteMatcher } from '../site/site.ts';
import { writeFileAtomic } from '../store/atomic-file.ts';
import { ImportError } from './import-error.ts';
import { oldUrlId } from './match.ts';

/**
 * The import's side of "old URLs keep receiving": the old permalinks it matched to new posts, kept in
 * `aliases.json` beside the manifest (`.pingback/aliases.json` by default), where the Astro and Eleventy integrations read them at
 * the next build and put them in the manifest's `aliases` beside the site's declared redirects.
 */
export const ALIASES_FILE = 'aliases.json';
/** Beside the default manifest; in general the file lives beside the manifest, wherever that is. */
export const DEFAULT_ALIASES_PATH = '.pingback/aliases.json';
export const ALIASES_VERSION = 1;

export interface AliasesFile {
  version: 1;
  /** Old canonical key → the canonical key of the post it now is. */
  aliases: Record<string, string>;
}

const isKey = (value: unknown): value is string => typeof value === 'string' && value.startsWith('/') && value.length <= 2048;

/** The aliases kept in the file, or none when it does not exist. */
export async function readAliasesFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ImportError(`${path}: ${(error as Error).message}`, { cause: error });
  }
  let value: AliasesFile;
  try {
    value = JSON.parse(text) as AliasesFile;
  } catch (error) {
    throw new ImportError(`${path} is not valid JSON. Delete it and run the import again to write it anew.`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || value.version !== ALIASES_VERSION || typeof value.aliases !== 'object' || value.aliases === null) {
    throw new ImportError(`${path}: expected {"version": 1, "aliases": {"/old/path": "/new/key"}}. Delete it and run the import again to write it anew.`);
  }
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(value.aliases)) {
    if (!isKey(from) || !isKey(to)) throw new ImportError(`${path}: ${JSON.stringify(from)} → ${JSON.stringify(to)} is not a pair of paths starting with "/".`);
    out[from] = to;
  }
  return out;
}

/** Adds aliases to the file (new ones win over old ones for the same old key); returns how many changed. */
export async function mergeAliasesFile(path: string, add: Record<string, string>): Promise<number> {
  const current = await readAliasesFile(path);
  let changed = 0;
  for (const [from, to] of Object.entries(add)) {
    if (current[from] !== to) changed++;
    current[from] = to;
  }
  if (changed === 0) return 0;
  const sorted = Object.fromEntries(Object.entries(current).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const file: AliasesFile = { version: ALIASES_VERSION, aliases: sorted };
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  return changed;
}

/** The new side of a map line as a canonical key of this site, or why it can't be one. */
function newKeyOf(value: string, site: SiteMatcher): string | string[] {
  if (value.startsWith('/')) return canonicalKeyOfPath(value, site.site);
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return ['is neither a path nor an http(s) URL'];
  if (!site.isOwn(url)) return [`is not on ${site.site.host} (add its host to the site's \`hosts\` if it is the same site)`];
  return canonicalKey(url);
}

/**
 * A map file: one `OLD NEW` pair a line (an arrow, `->` or `→`, may stand between them), `#` comments and
 * blank lines ignored. OLD is the old permalink (a URL, or a path); NEW a URL or path of the new site.
 * Returns old URL ids (`oldUrlId`) → new canonical keys; a line that can't be read is an error naming it.
 */
export function parseImportMap(text: string, site: SiteMatcher, where: string): Map<string, string> {
  const map = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    const parts = line.split(/\s+/).filter((p) => p !== '->' && p !== '→');
    const fail = (problem: string): never => {
      throw new ImportError(
        `${where}, line ${index + 1}: ${problem}. Each line is "OLD-URL NEW-URL", e.g. https://old.example/2019/05/my-post/ /posts/my-post/`,
      );
    };
    if (parts.length !== 2) fail(`expected two URLs, found ${parts.length} ${parts.length === 1 ? 'field' : 'fields'}`);
    const [oldText, newText] = parts as [string, string];
    const old = URL.parse(oldText, site.site.href);
    if (!old || (old.protocol !== 'http:' && old.protocol !== 'https:')) fail(`${JSON.stringify(oldText.slice(0, 200))} is neither a path nor an http(s) URL`);
    const key = newKeyOf(newText, site);
    if (Array.isArray(key)) fail(`${JSON.stringify(newText.slice(0, 200))} ${key[0]}`);
    map.set(oldUrlId(old!), key as string);
  });
  return map;
}
