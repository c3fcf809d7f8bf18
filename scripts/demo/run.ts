/**
 * The two-blog demo: examples/astro-blog and examples/eleventy-blog link to each other by absolute URL on
 * fixed loopback addresses. It builds both, serves each with its receiver (`pingback serve`), sends each
 * site's Webmentions and pingbacks to the other (`pingback send`: a Webmention where the target announces
 * one, else a pingback), waits for each receiver to verify what it accepted by fetching the live source,
 * rebuilds both so the pages show what arrived, and reports it by protocol and kind. Run again, it sends
 * nothing new; run after a post was edited or deleted, it tells the other blog, which drops what the post
 * no longer says.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LinkbackKind, LinkbackProtocol, PingbackRecord, SendRow } from '@pingback/core';
import { FileStore, canonicalKey, recordKind, recordProtocol } from '@pingback/core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'packages/cli/bin/pingback.js');
/** The order kinds are told in, as the pages show them. */
const KINDS: readonly LinkbackKind[] = ['reply', 'mention', 'like', 'repost', 'bookmark'];
/** How long a receiver may take to verify what it accepted: its source deadline (10 s) and some. */
const VERIFY_WAIT_MS = 30_000;

export interface Blog {
  name: string;
  dir: string;
  url: string;
  /** The environment variable that moves it. */
  variable: 'PINGBACK_ASTRO_URL' | 'PINGBACK_ELEVENTY_URL';
  output: string;
  build: string[];
}

export type KindCounts = Partial<Record<LinkbackKind, number>>;

export interface Received {
  protocol: LinkbackProtocol;
  kind: LinkbackKind;
  source: string;
  target: string;
  title: string;
  author: string;
  excerpt: string;
}

export interface PageView {
  url: string;
  /** The count the post's byline shows (every kind). */
  count: number;
  /** The counts per kind the post shows beside it ("1 reply · 2 likes"). */
  kinds: KindCounts;
  /** The linkbacks the page lists, per kind (replies and mentions as entries, likes and the rest as faces). */
  listed: KindCounts;
}

export interface BlogReport {
  name: string;
  url: string;
  /** What the blog shows: its store's approved, undeleted records on the posts it has. */
  received: Received[];
  /** The same, counted by protocol and kind. */
  counts: Partial<Record<LinkbackProtocol, KindCounts>>;
  /** Each post's page, as a reader gets it. */
  pages: PageView[];
  /** What this blog's `pingback send` did in this run. */
  sent: { registered: number; queued: number; skipped: number; other: number; webmention: number; pingback: number };
  /** What the blog's receiver said of each Webmention it verified in this run (`pingback serve`'s log). */
  verified: string[];
  /** The blog's moderation page, and the token that signs in to it (made afresh for each run). */
  admin: { url: string; token: string };
}

export interface DemoOptions {
  astroUrl?: string;
  eleventyUrl?: string;
  /** The folder holding `astro-blog` and `eleventy-blog` (default: the repository's examples/). */
  examples?: string;
  /** Leave the two servers running. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface DemoResult {
  blogs: BlogReport[];
  /** Webmentions and pingbacks registered in this run, both ways: 0 on a second run. */
  newLinkbacks: number;
  stop(): Promise<void>;
}

function blogs(examples: string, astroUrl: string, eleventyUrl: string): Blog[] {
  return [
    {
      name: 'Astro example',
      dir: join(examples, 'astro-blog'),
      url: astroUrl,
      variable: 'PINGBACK_ASTRO_URL',
      output: 'dist',
      build: ['node_modules/astro/bin/astro.mjs', 'build'],
    },
    {
      name: 'Eleventy example',
      dir: join(examples, 'eleventy-blog'),
      url: eleventyUrl,
      variable: 'PINGBACK_ELEVENTY_URL',
      output: '_site',
      build: ['node_modules/@11ty/eleventy/cmd.cjs'],
    },
  ];
}

function run(cmd: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cmd, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A clean build, as CI and Netlify make one: Eleventy leaves the page of a deleted post in its output,
 * where `pingback serve` would go on serving it instead of answering 410 Gone.
 */
async function build(blog: Blog, env: NodeJS.ProcessEnv, what: string): Promise<void> {
  await rm(join(blog.dir, blog.output), { recursive: true, force: true });
  const result = await run(blog.build, blog.dir, env);
  if (result.code !== 0) throw new Error(`${what} the ${blog.name} failed:\n${result.stdout}${result.stderr}`);
}

/** One blog's `pingback serve`, and what its log says of each Webmention and pingback it verified. */
interface Receiver {
  blog: Blog;
  child: ChildProcess;
  /** Each verification's line, without the `[pingback] ` prefix. */
  verified: string[];
  /** How many of them the demo has printed. */
  printed: number;
  /** Until each of these (`source → post key`) is verified; rejects after `VERIFY_WAIT_MS`. */
  verifiedAll(pairs: readonly string[]): Promise<void>;
}

/**
 * `[pingback] webmention approved: SOURCE → /posts/key` after a Webmention's verification, `[pingback]
 * approved: SOURCE → KEY` for a pingback's, and the store's failure for a Webmention (`… (webmention
 * SOURCE → KEY not verified)`).
 */
const VERIFIED = /^\[pingback\] (webmention [^:]+: (\S+) → (\S+).*)$/;
const PINGBACK_VERIFIED = /^\[pingback\] ((?:approved|pending|rejected): (\S+) → (\S+))$/;
const NOT_VERIFIED = /^\[pingback\] (store: .*\(webmention (\S+) → (\S+) not verified\))$/;

function serve(blog: Blog, env: NodeJS.ProcessEnv, token: string): Promise<Receiver> {
  const url = new URL(blog.url);
  const args = [
    CLI,
    'serve',
    '--root',
    blog.output,
    '--manifest',
    '.pingback/manifest.json',
    '--store',
    '.pingback/store',
    '--host',
    url.hostname,
    '--port',
    url.port,
    '--allow-private-network',
  ];
  const child = spawn(process.execPath, args, { cwd: blog.dir, env: { ...env, PINGBACK_ADMIN_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const verified: string[] = [];
  const seen = new Map<string, number>();
  const waiting = new Set<() => void>();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    err += `${line}\n`;
    const pingback = PINGBACK_VERIFIED.exec(line);
    const m = pingback ?? VERIFIED.exec(line) ?? NOT_VERIFIED.exec(line);
    if (!m) return;
    verified.push(pingback ? `pingback ${m[1]}` : m[1]!);
    const pair = `${m[2]} → ${m[3]}`;
    seen.set(pair, (seen.get(pair) ?? 0) + 1);
    for (const wake of waiting) wake();
  });
  const verifiedAll = (pairs: readonly string[]) =>
    new Promise<void>((resolve, reject) => {
      const pending = [...pairs];
      const check = () => {
        for (let i = pending.length - 1; i >= 0; i--) {
          const n = seen.get(pending[i]!) ?? 0;
          if (n > 0) {
            seen.set(pending[i]!, n - 1);
            pending.splice(i, 1);
          }
        }
        if (pending.length > 0) return;
        clearTimeout(timer);
        waiting.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`the ${blog.name}'s receiver did not verify ${pending.join(', ')} within ${VERIFY_WAIT_MS / 1000} s; its log:\n${err.trim()}`));
      }, VERIFY_WAIT_MS);
      waiting.add(check);
      check();
    });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      reject(
        new Error(
          `pingback serve for the ${blog.name} exited (${code}): ${err.trim() || 'is the port taken?'}\n${blog.variable} moves the blog to another address.`,
        ),
      ),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('listening on')) resolve({ blog, child, verified, printed: 0, verifiedAll });
    });
  });
}

/** Where a blog listens, as `listen()` takes it (`[::1]` without its brackets). */
function addressOf(blog: Blog): { host: string; port: number } {
  const url = new URL(blog.url);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
}

/** Listens on the address for a moment: null if it is free, else why not. */
function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    probe.listen(port, host, () => probe.close(() => resolve(null)));
  });
}

/** A free port on the host, to suggest; the kernel picks it. */
function freePortOn(host: string): Promise<number | null> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(null));
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Checks, before the builds (which take a while), that each blog's address can be listened on, and if not
 * says which port is taken and which variable moves the blog: the one thing a person can do about it.
 */
async function checkAddresses(sites: Blog[]): Promise<void> {
  for (const blog of sites) {
    const { host, port } = addressOf(blog);
    const error = await tryListen(host, port);
    if (!error) continue;
    const why =
      error.code === 'EADDRINUSE'
        ? 'is in use'
        : error.code === 'EACCES'
          ? 'may not be used by this user'
          : `can't be listened on (${error.code ?? error.message})`;
    const free = await freePortOn(host);
    const moved = new URL(blog.url);
    if (free) moved.port = String(free);
    throw new Error(
      `port ${port} on ${host}, where the demo serves the ${blog.name} (${blog.url}), ${why}. ` +
        `Stop what is using it, or move the blog with ${blog.variable}${free ? `, e.g. ${blog.variable}=${moved.href} npx -y pnpm@10 demo` : ''}.`,
    );
  }
}

const WORDS: Record<LinkbackKind, [string, string]> = {
  reply: ['reply', 'replies'],
  mention: ['mention', 'mentions'],
  like: ['like', 'likes'],
  repost: ['repost', 'reposts'],
  bookmark: ['bookmark', 'bookmarks'],
};
const PROTOCOL_NAMES: Record<LinkbackProtocol, [string, string]> = {
  webmention: ['Webmention', 'Webmentions'],
  pingback: ['pingback', 'pingbacks'],
  trackback: ['trackback', 'trackbacks'],
  comment: ['comment', 'comments'],
};
const plural = (n: number, [one, many]: [string, string]) => `${n} ${n === 1 ? one : many}`;

/** "1 reply, 2 mentions", in the order the pages show kinds; "none" for no count at all. */
function kindsText(counts: KindCounts, separator = ', '): string {
  const parts = KINDS.filter((k) => (counts[k] ?? 0) > 0).map((k) => plural(counts[k]!, WORDS[k]));
  return parts.length > 0 ? parts.join(separator) : 'none';
}

function tally<T>(items: readonly T[], keyOf: (item: T) => LinkbackKind): KindCounts {
  const counts: KindCounts = {};
  for (const item of items) counts[keyOf(item)] = (counts[keyOf(item)] ?? 0) + 1;
  return counts;
}

/** What a reader sees on a post: the byline's count, the counts per kind, and the items listed. */
function readPage(url: string, html: string): PageView {
  const count = Number(/<span class="pingback-count" data-count="(\d+)">/.exec(html)?.[1] ?? Number.NaN);
  const kinds: KindCounts = {};
  for (const m of html.matchAll(/<span class="pingback-count" data-count="(\d+)" data-kind="(\w+)">/g)) kinds[m[2] as LinkbackKind] = Number(m[1]);
  const listed = tally([...html.matchAll(/<li class="pingback pingback--(\w+) h-cite"/g)], (m) => m[1] as LinkbackKind);
  return { url, count, kinds, listed };
}

async function report(blog: Blog, receiver: Receiver, sent: BlogReport['sent'], token: string): Promise<BlogReport> {
  const manifest = JSON.parse(await readFile(join(blog.dir, '.pingback/manifest.json'), 'utf8')) as {
    pages: string[];
    posts: { source: string; key: string }[];
  };
  // What the blog shows: approved, not deleted, on a page it still has.
  const shown = new Set(manifest.pages);
  const records = (await new FileStore(join(blog.dir, '.pingback/store')).list()).filter(
    (r: PingbackRecord) => r.status === 'approved' && !r.deletedAt && shown.has(r.key),
  );
  const received: Received[] = records
    .map((r) => ({
      protocol: recordProtocol(r),
      kind: recordKind(r),
      source: r.source,
      target: r.target,
      title: r.title,
      author: r.author.name,
      excerpt: r.excerpt,
    }))
    .sort((a, b) => (a.target === b.target ? KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) : a.target < b.target ? -1 : 1));
  const counts: BlogReport['counts'] = {};
  for (const protocol of new Set(received.map((r) => r.protocol)))
    counts[protocol] = tally(
      received.filter((r) => r.protocol === protocol),
      (r) => r.kind,
    );
  const pages: PageView[] = [];
  for (const post of manifest.posts) pages.push(readPage(post.source, await (await fetch(post.source)).text()));
  return {
    name: blog.name,
    url: blog.url,
    received,
    counts,
    pages,
    sent,
    verified: receiver.verified,
    admin: { url: new URL('pingback/admin', blog.url).href, token },
  };
}

function rowLine(row: SendRow): string {
  const protocol = row.protocol ? PROTOCOL_NAMES[row.protocol][0] : '';
  if (row.status === 'skipped') return `skipped ${row.source} → ${row.target} (${protocol ? `${protocol}: ` : ''}${row.message})`;
  const how = protocol ? ` by ${protocol}` : '';
  const why =
    row.why === 'removed'
      ? ' (the post no longer links there: the receiver drops it)'
      : row.why === 'deleted'
        ? ' (the post is gone, 410: the receiver drops it)'
        : row.status === 'registered' || row.status === 'queued'
          ? ''
          : ` (${row.message})`;
  return `${row.status}${how} ${row.source} → ${row.target}${why}`;
}

function receivedLine(r: BlogReport): string {
  const byProtocol = (Object.entries(r.counts) as [LinkbackProtocol, KindCounts][])
    .sort(([a], [b]) => (a === 'webmention' ? -1 : b === 'webmention' ? 1 : a < b ? -1 : 1))
    .map(
      ([protocol, kinds]) =>
        `${plural(
          Object.values(kinds).reduce((a, b) => a + b, 0),
          PROTOCOL_NAMES[protocol],
        )} (${kindsText(kinds)})`,
    );
  return `${r.name} (${r.url}) received ${r.received.length}: ${byProtocol.join(', ') || 'nothing yet'}`;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const astroUrl = options.astroUrl ?? process.env.PINGBACK_ASTRO_URL ?? 'http://127.0.0.1:4321/';
  const eleventyUrl = options.eleventyUrl ?? process.env.PINGBACK_ELEVENTY_URL ?? 'http://127.0.0.1:4322/';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PINGBACK_ASTRO_URL: astroUrl,
    PINGBACK_ELEVENTY_URL: eleventyUrl,
    ASTRO_TELEMETRY_DISABLED: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  delete env.URL; // Netlify's variable would pin both examples to one address.
  const sites = blogs(options.examples ?? join(ROOT, 'examples'), astroUrl, eleventyUrl);
  const receivers: Receiver[] = [];
  // Each run makes its own moderation tokens: nothing to configure, nothing kept.
  const tokens = new Map(sites.map((blog) => [blog.name, randomBytes(24).toString('base64url')]));
  const stop = async () => {
    await Promise.all(
      receivers.map(
        ({ child: s }) =>
          new Promise<void>((resolve) => {
            if (s.exitCode !== null) return resolve();
            s.once('exit', () => resolve());
            s.kill('SIGTERM');
          }),
      ),
    );
  };

  await checkAddresses(sites);
  try {
    log(`1. Building both blogs: the Astro example at ${astroUrl}, the Eleventy example at ${eleventyUrl}`);
    for (const blog of sites) await build(blog, env, 'building');
    log('2. Serving each with its receiver (pingback serve, file-system store)');
    for (const blog of sites) receivers.push(await serve(blog, env, tokens.get(blog.name)!));

    log(
      "3. Sending each blog's links to the other (pingback send): a Webmention where the post announces one, else a pingback; the receivers verify by fetching the live source",
    );
    const sent = new Map<string, BlogReport['sent']>();
    let newLinkbacks = 0;
    for (const blog of sites) {
      // Both blogs live on loopback, which a real site never is: without the flag, send sends nothing.
      const result = await run([CLI, 'send', '--json', '--allow-private-network'], blog.dir, env);
      if (result.code !== 0) throw new Error(`pingback send for the ${blog.name} failed:\n${result.stdout}${result.stderr}`);
      const rows = (JSON.parse(result.stdout) as SendRow[]).sort((a, b) =>
        a.source === b.source ? (a.target < b.target ? -1 : 1) : a.source < b.source ? -1 : 1,
      );
      const counts = { registered: 0, queued: 0, skipped: 0, other: 0, webmention: 0, pingback: 0 };
      for (const row of rows) {
        if (row.status === 'registered' || row.status === 'queued' || row.status === 'skipped') counts[row.status]++;
        else counts.other++;
        if (row.status === 'registered' && row.protocol) counts[row.protocol]++;
        log(`   ${blog.name}: ${rowLine(row)}`);
      }
      newLinkbacks += counts.registered;
      sent.set(blog.name, counts);
      // A Webmention is answered 202 and verified afterwards: wait for each receiver to have done it (and
      // for its log line of each pingback, which it verified before answering).
      for (const receiver of receivers) {
        const origin = new URL(receiver.blog.url).origin;
        const accepted = rows.filter((r) => r.status === 'registered' && URL.parse(r.target)?.origin === origin);
        if (accepted.length === 0) continue;
        await receiver.verifiedAll(accepted.map((r) => `${r.source} → ${canonicalKey(new URL(r.target))}`));
        for (const line of receiver.verified.slice(receiver.printed)) log(`     the ${receiver.blog.name}'s receiver: ${line}`);
        receiver.printed = receiver.verified.length;
      }
    }
    if (newLinkbacks === 0) log('   Nothing new to send: every Webmention and pingback went on an earlier run (see .pingback/ledger.json).');

    log('4. Rebuilding both, so their pages show what they received');
    for (const blog of sites) await build(blog, env, 'rebuilding');

    log('5. What to check');
    const reports: BlogReport[] = [];
    for (const [i, blog] of sites.entries()) {
      const r = await report(blog, receivers[i]!, sent.get(blog.name)!, tokens.get(blog.name)!);
      reports.push(r);
      log(`   ${receivedLine(r)}`);
      for (const p of r.received) {
        log(`     ${p.kind} by ${PROTOCOL_NAMES[p.protocol][0]}: "${p.title}"${p.author ? ` by ${p.author}` : ''}, from ${p.source}`);
        log(`       on ${p.target}${p.excerpt && (p.kind === 'reply' || p.kind === 'mention') ? `: ${p.excerpt}` : ''}`);
      }
      for (const page of r.pages)
        log(`     ${page.url} shows ${page.count}${page.count > 0 ? ` (${kindsText(page.kinds, ' · ')}), listing ${kindsText(page.listed)}` : ''}`);
    }
    if (options.keep) {
      log(`Both blogs are still being served: open ${astroUrl} and ${eleventyUrl}. Ctrl-C to stop.`);
      log('Moderate each from a browser (sign in with its token; a new one each run):');
      for (const r of reports) log(`   ${r.name}: ${r.admin.url}  token ${r.admin.token}`);
    } else await stop();
    return { blogs: reports, newLinkbacks, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
