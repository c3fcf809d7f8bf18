/**
 * The two-blog demo: examples/astro-blog and examples/eleventy-blog link to each other by absolute URL on
 * fixed loopback addresses. It builds both, serves each with its receiver (`pingback serve`), sends each
 * site's pings to the other (`pingback send`), lets each receiver verify by fetching the live source,
 * rebuilds both so the pages show what arrived, and reports it. Run again, it sends nothing new.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PingbackRecord } from '@pingback/core';
import { FileStore } from '@pingback/core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'packages/cli/bin/pingback.js');

export interface Blog {
  name: string;
  dir: string;
  url: string;
  /** The environment variable that moves it. */
  variable: 'PINGBACK_ASTRO_URL' | 'PINGBACK_ELEVENTY_URL';
  output: string;
  build: string[];
}

export interface BlogReport {
  name: string;
  url: string;
  received: { source: string; target: string; title: string; author: string; excerpt: string }[];
  /** The page showing each post's pingbacks, and the count it shows. */
  pages: { url: string; count: number; listed: number }[];
  sent: { registered: number; queued: number; skipped: number; other: number };
  /** The blog's moderation page, and the token that signs in to it (made afresh for each run). */
  admin: { url: string; token: string };
}

export interface DemoOptions {
  astroUrl?: string;
  eleventyUrl?: string;
  /** Leave the two servers running. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface DemoResult {
  blogs: BlogReport[];
  /** Pings registered in this run, both ways: 0 on a second run. */
  newPings: number;
  stop(): Promise<void>;
}

function blogs(astroUrl: string, eleventyUrl: string): Blog[] {
  return [
    { name: 'Astro example', dir: join(ROOT, 'examples/astro-blog'), url: astroUrl, variable: 'PINGBACK_ASTRO_URL', output: 'dist', build: ['node_modules/astro/bin/astro.mjs', 'build'] },
    { name: 'Eleventy example', dir: join(ROOT, 'examples/eleventy-blog'), url: eleventyUrl, variable: 'PINGBACK_ELEVENTY_URL', output: '_site', build: ['node_modules/@11ty/eleventy/cmd.cjs'] },
  ];
}

function run(cmd: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cmd, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => resolve({ code, out }));
  });
}

function serve(blog: Blog, env: NodeJS.ProcessEnv, token: string): Promise<ChildProcess> {
  const url = new URL(blog.url);
  const args = [CLI, 'serve', '--root', blog.output, '--manifest', '.pingback/manifest.json', '--store', '.pingback/store', '--host', url.hostname, '--port', url.port, '--allow-private-network'];
  const child = spawn(process.execPath, args, { cwd: blog.dir, env: { ...env, PINGBACK_ADMIN_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`pingback serve for the ${blog.name} exited (${code}): ${err.trim() || 'is the port taken?'}\n${blog.variable} moves the blog to another address.`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('listening on')) resolve(child);
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
    const why = error.code === 'EADDRINUSE' ? 'is in use' : error.code === 'EACCES' ? 'may not be used by this user' : `can't be listened on (${error.code ?? error.message})`;
    const free = await freePortOn(host);
    const moved = new URL(blog.url);
    if (free) moved.port = String(free);
    throw new Error(
      `port ${port} on ${host}, where the demo serves the ${blog.name} (${blog.url}), ${why}. ` +
        `Stop what is using it, or move the blog with ${blog.variable}${free ? `, e.g. ${blog.variable}=${moved.href} npx -y pnpm@10 demo` : ''}.`,
    );
  }
}

const countOf = (html: string) => Number(/class="pingback-count" data-count="(\d+)"/.exec(html)?.[1] ?? Number.NaN);

async function report(blog: Blog, sent: BlogReport['sent'], token: string): Promise<BlogReport> {
  const records = (await new FileStore(join(blog.dir, '.pingback/store')).list()).filter((r: PingbackRecord) => r.status === 'approved' && !r.deletedAt);
  const manifest = JSON.parse(await readFile(join(blog.dir, '.pingback/manifest.json'), 'utf8')) as { posts: { source: string; key: string }[] };
  const pages: BlogReport['pages'] = [];
  for (const post of manifest.posts) {
    const html = await (await fetch(post.source)).text();
    pages.push({ url: post.source, count: countOf(html), listed: (html.match(/<li class="pingback pingback--\w+ h-cite"/g) ?? []).length });
  }
  return {
    name: blog.name,
    url: blog.url,
    received: records.map((r) => ({ source: r.source, target: r.target, title: r.title, author: r.author.name, excerpt: r.excerpt })),
    pages,
    sent,
    admin: { url: new URL('pingback/admin', blog.url).href, token },
  };
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const astroUrl = options.astroUrl ?? process.env.PINGBACK_ASTRO_URL ?? 'http://127.0.0.1:4321/';
  const eleventyUrl = options.eleventyUrl ?? process.env.PINGBACK_ELEVENTY_URL ?? 'http://127.0.0.1:4322/';
  const env: NodeJS.ProcessEnv = { ...process.env, PINGBACK_ASTRO_URL: astroUrl, PINGBACK_ELEVENTY_URL: eleventyUrl, ASTRO_TELEMETRY_DISABLED: '1', NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.URL; // Netlify's variable would pin both examples to one address.
  const sites = blogs(astroUrl, eleventyUrl);
  const servers: ChildProcess[] = [];
  // Each run makes its own moderation tokens: nothing to configure, nothing kept.
  const tokens = new Map(sites.map((blog) => [blog.name, randomBytes(24).toString('base64url')]));
  const stop = async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.exitCode !== null ? resolve() : (s.once('exit', () => resolve()), s.kill('SIGTERM'))))));
  };

  await checkAddresses(sites);
  try {
    log(`1. Building both blogs: the Astro example at ${astroUrl}, the Eleventy example at ${eleventyUrl}`);
    for (const blog of sites) {
      const result = await run(blog.build, blog.dir, env);
      if (result.code !== 0) throw new Error(`building the ${blog.name} failed:\n${result.out}`);
    }
    log('2. Serving each with its receiver (pingback serve, file-system store)');
    for (const blog of sites) servers.push(await serve(blog, env, tokens.get(blog.name)!));

    log('3. Sending each blog\'s pings to the other (pingback send): the receivers verify by fetching the live source');
    const sent = new Map<string, BlogReport['sent']>();
    let newPings = 0;
    for (const blog of sites) {
      // Both blogs live on loopback, which a real site never is: without the flag, send sends nothing.
      const result = await run([CLI, 'send', '--json', '--allow-private-network'], blog.dir, env);
      if (result.code !== 0) throw new Error(`pingback send for the ${blog.name} failed:\n${result.out}`);
      const rows = JSON.parse(result.out.slice(result.out.indexOf('['))) as { status: string; source: string; target: string; message: string }[];
      const tally = { registered: 0, queued: 0, skipped: 0, other: 0 };
      for (const row of rows) {
        if (row.status === 'registered') tally.registered++;
        else if (row.status === 'queued') tally.queued++;
        else if (row.status === 'skipped') tally.skipped++;
        else tally.other++;
        log(`   ${blog.name}: ${row.status} ${row.source} → ${row.target}${row.status === 'skipped' ? ` (${row.message})` : ''}`);
      }
      newPings += tally.registered;
      sent.set(blog.name, tally);
    }
    if (newPings === 0) log('   Nothing new to send: every ping was sent on an earlier run (see .pingback/ledger.json).');

    log('4. Rebuilding both, so their pages show what they received');
    for (const blog of sites) {
      const result = await run(blog.build, blog.dir, env);
      if (result.code !== 0) throw new Error(`rebuilding the ${blog.name} failed:\n${result.out}`);
    }

    log('5. What to check');
    const reports: BlogReport[] = [];
    for (const blog of sites) {
      const r = await report(blog, sent.get(blog.name)!, tokens.get(blog.name)!);
      reports.push(r);
      log(`   ${r.name} (${r.url}) received ${r.received.length} pingback${r.received.length === 1 ? '' : 's'}:`);
      for (const p of r.received) log(`     "${p.title}" by ${p.author}, from ${p.source}\n       on ${p.target}: ${p.excerpt}`);
      for (const page of r.pages) log(`     ${page.url} shows ${page.count} (${page.listed} listed)`);
    }
    if (options.keep) {
      log(`Both blogs are still being served: open ${astroUrl} and ${eleventyUrl}. Ctrl-C to stop.`);
      log('Moderate each from a browser (sign in with its token; a new one each run):');
      for (const r of reports) log(`   ${r.name}: ${r.admin.url}  token ${r.admin.token}`);
    }
    else await stop();
    return { blogs: reports, newPings, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
