import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { ImportReport, Manifest } from '@pingback/core';
import {
  ALIASES_FILE,
  DEFAULT_MANIFEST_PATH,
  JF2_MAX_BYTES,
  PostMatcher,
  importWebmentionIo,
  importWordPress,
  mergeAliasesFile,
  parseImportMap,
  readAliasesFile,
  readManifest,
  siteMatcher,
} from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { UsageError } from '../args.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';
import { STORE_FLAGS, openStore } from '../store-flags.ts';

const FORMATS = ['wordpress', 'webmention-io'] as const;
type Format = (typeof FORMATS)[number];

export const importSpec: CommandSpec = {
  name: 'import',
  summary: "Import the linkbacks of a WordPress export or a webmention.io export into the store, as records of the new site's posts.",
  positionals: [
    { name: 'format', description: `${FORMATS.join(' or ')}` },
    { name: 'file', description: "The WordPress export (Tools → Export, a .xml file) or webmention.io's mentions.jf2." },
  ],
  flags: {
    ...STORE_FLAGS,
    manifest: {
      type: 'string',
      value: 'FILE',
      description: `The new site's manifest, which says which posts exist (default ${DEFAULT_MANIFEST_PATH}; build the site first).`,
    },
    site: { type: 'string', value: 'URL', description: "The new site's URL, for the new side of --map lines (default: the manifest's site)." },
    map: { type: 'string', value: 'FILE', description: 'Old URL → new URL, one "OLD NEW" pair a line, for posts whose slug changed.' },
    aliases: {
      type: 'string',
      value: 'FILE',
      description: `Where the old URLs that were matched are kept, for the build (default ${ALIASES_FILE} beside the manifest).`,
    },
    comments: { type: 'boolean', description: 'WordPress: import approved comments too (pingbacks and trackbacks always).' },
    'dry-run': { type: 'boolean', description: 'Read, match and count, and tell what would be imported; store nothing.' },
    json: { type: 'boolean', description: 'Print the report as JSON.' },
  },
  notes: [
    'Only approved items of posts and pages that exist on the new site are imported; spam, trash, unapproved items and unmatched posts are skipped and counted. Author e-mail and IP addresses are never read. Nothing imported is sent anywhere.',
    "A post is matched by the --map file, then by the redirects the site declares (the manifest's aliases), then by the same path, then by its slug against the last path segment of the new posts' keys; anything else is listed as unmatched, never guessed.",
    'Importing the same file again adds nothing; after fixing the map, only what was missing. The old URLs of matched posts are written to the aliases file: the next build puts them in the manifest, and pingbacks to them land on the new posts.',
    'Exit status: 0 imported (or, with --dry-run, read), 2 the file or a flag could not be used (nothing was stored).',
  ],
};

const VIA_WORDS: Record<string, string> = { map: 'by the map', redirect: 'by a redirect', 'same-path': 'by the same path', slug: 'by slug' };
const PROTOCOL_WORDS: Record<string, [string, string]> = {
  pingback: ['pingback', 'pingbacks'],
  trackback: ['trackback', 'trackbacks'],
  comment: ['comment', 'comments'],
  webmention: ['webmention', 'webmentions'],
};
const SKIP_WORDS: Record<string, string> = {
  spam: 'spam',
  trash: 'in the trash',
  unapproved: 'unapproved',
  'comment-not-asked': 'comments (add --comments to import them)',
  'other-type': 'of other comment types',
  'bad-source': 'without an http(s) source',
  'bad-target': 'without an http(s) target',
  'bad-id': 'without a comment id',
  private: 'private',
  'not-an-entry': 'not entries',
  'not-a-post-or-page': 'on attachments and other non-posts',
  unmatched: 'on unmatched posts',
};

const MAX_LISTED = 20;

/** The order counts are told in, whatever order they were counted in. */
const ORDER = [...Object.keys(PROTOCOL_WORDS), ...Object.keys(SKIP_WORDS), ...Object.keys(VIA_WORDS)];
const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);

function counted(counts: Record<string, number>, words: (name: string, n: number) => string): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([name, n]) => words(name, n));
  return parts.length ? parts.join(', ') : 'none';
}

function textReport(report: ImportReport, file: string, where: string, aliasesPath: string, aliasesWritten: number, declared: Record<string, string>): string {
  const lines: string[] = [];
  const what = report.format === 'wordpress' ? 'posts and pages' : 'targets';
  lines.push(`pingback import ${report.format}: ${file} → ${where}${report.dryRun ? ' (dry run: nothing stored)' : ''}`);
  const via = counted(report.posts.via, (name, n) => `${n} ${VIA_WORDS[name] ?? name}`);
  lines.push(
    `  ${what}: ${report.posts.seen} in the export, ${report.posts.matched} matched${report.posts.matched ? ` (${via})` : ''}, ${report.posts.unmatched} unmatched`,
  );
  const imported = counted(report.imported, (name, n) => `${n} ${(PROTOCOL_WORDS[name] ?? [name, name])[n === 1 ? 0 : 1]}`);
  lines.push(`  ${report.dryRun ? 'would import' : 'imported'}: ${imported}; ${report.alreadyStored} already stored`);
  lines.push(`  skipped: ${counted(report.skipped, (name, n) => `${n} ${SKIP_WORDS[name] ?? name}`)}`);
  const others = Object.entries(report.otherPostTypes);
  if (others.length) lines.push(`  not posts or pages (never imported): ${others.map(([type, n]) => `${n} ${type}`).join(', ')}`);
  const withItems = report.unmatched.filter((u) => u.items > 0);
  if (withItems.length) {
    lines.push(`  unmatched, with linkbacks (match them with --map FILE, one "OLD-URL NEW-URL" a line):`);
    for (const u of withItems.slice(0, MAX_LISTED)) {
      const about = [u.title ? JSON.stringify(u.title) : '', u.slug ? `slug ${u.slug}` : ''].filter(Boolean).join(', ');
      const why =
        u.reason === 'ambiguous-slug'
          ? `; the slug fits ${u.candidates!.join(', ')}`
          : u.reason === 'map-target-not-a-post'
            ? `; the map sends it to ${u.candidates![0]}, which is not a post of the site`
            : '';
      lines.push(`    ${u.url}${about ? ` (${about})` : ''}: ${u.items} ${u.items === 1 ? 'linkback' : 'linkbacks'}${why}`);
    }
    if (withItems.length > MAX_LISTED) lines.push(`    … and ${withItems.length - MAX_LISTED} more (--json lists them all)`);
  }
  const quiet = report.unmatched.length - withItems.length;
  if (quiet) lines.push(`  ${quiet} unmatched ${quiet === 1 ? 'post has' : 'posts have'} nothing to import`);
  if (report.repairedAmpersands)
    lines.push(`  read past WordPress's unescaped "&" in ${report.repairedAmpersands} author ${report.repairedAmpersands === 1 ? 'URL' : 'URLs'}`);
  const aliases = Object.entries(report.aliases);
  if (aliases.length) {
    lines.push(
      report.dryRun
        ? `  ${aliases.length} old ${aliases.length === 1 ? 'URL' : 'URLs'} would be written to ${aliasesPath}`
        : `  aliases: ${aliases.length} old ${aliases.length === 1 ? 'URL' : 'URLs'} in ${aliasesPath} (${aliasesWritten} new); rebuild the site to put them in the manifest`,
    );
    const missing = aliases.filter(([from]) => declared[from] === undefined);
    if (missing.length) {
      lines.push(
        `  ${missing.length} of them ${missing.length === 1 ? 'has' : 'have'} no redirect on the new site; for links to keep working, declare one (Netlify _redirects lines shown):`,
      );
      for (const [from, to] of missing.slice(0, MAX_LISTED)) lines.push(`    ${from}  ${to}  301`);
      if (missing.length > MAX_LISTED) lines.push(`    … and ${missing.length - MAX_LISTED} more (--json lists them all)`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function runImport(parsed: Parsed, io: Io): Promise<number> {
  const [formatArg, file] = parsed.positionals as [string, string];
  if (!(FORMATS as readonly string[]).includes(formatArg)) throw new UsageError(`the format must be ${FORMATS.join(' or ')}, got ${JSON.stringify(formatArg)}`);
  const format = formatArg as Format;
  const f = parsed.flags;
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${file} does not exist or is not a file`);
  if (format === 'webmention-io' && statSync(file).size > JF2_MAX_BYTES) {
    throw new UsageError(`${file} is larger than ${JF2_MAX_BYTES / 1024 / 1024} MiB; webmention.io's exports are far smaller. Is it the right file?`);
  }

  const manifestPath = resolve((f.manifest as string | undefined) ?? DEFAULT_MANIFEST_PATH);
  const manifest: Manifest = await readManifest(manifestPath);
  const siteFlag = f.site as string | undefined;
  if (siteFlag !== undefined && !URL.canParse(siteFlag)) throw new UsageError('--site must be an absolute URL, e.g. https://blog.example/');
  const site = siteMatcher(siteFlag ?? manifest.site, manifest.hosts);
  const map =
    typeof f.map === 'string'
      ? parseImportMap(
          await readFile(f.map, 'utf8').catch((error: unknown) => {
            throw new UsageError(`--map ${f.map}: ${(error as Error).message}`);
          }),
          site,
          f.map,
        )
      : new Map<string, string>();
  const aliasesPath = typeof f.aliases === 'string' ? resolve(f.aliases) : join(dirname(manifestPath), ALIASES_FILE);
  // What an earlier import wrote may not be in the manifest yet (no build since): both count.
  const kept = await readAliasesFile(aliasesPath);
  const declared = manifest.aliases ?? {};
  const matcher = new PostMatcher({ ...manifest, aliases: { ...kept, ...declared } }, map);

  const { store, where } = await openStore(f, io);
  const dryRun = f['dry-run'] === true;
  const options = { store, matcher, comments: f.comments === true, dryRun, where: file };
  const report =
    format === 'wordpress'
      ? await importWordPress(() => createReadStream(file, { highWaterMark: 256 * 1024 }), options)
      : await importWebmentionIo(await readFile(file, 'utf8'), options);

  let aliasesWritten = 0;
  if (!dryRun && Object.keys(report.aliases).length) aliasesWritten = await mergeAliasesFile(aliasesPath, report.aliases);
  const shownAliases = relative(process.cwd(), aliasesPath) || aliasesPath;
  if (f.json) {
    io.stdout.write(`${JSON.stringify({ ...report, store: where, aliasesFile: aliasesPath, aliasesWritten }, null, 2)}\n`);
  } else {
    io.stdout.write(textReport(report, file, where, shownAliases, aliasesWritten, declared));
  }
  return Exit.OK;
}
