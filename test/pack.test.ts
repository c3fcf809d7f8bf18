import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './support/http.ts';
import { html, startServer } from './support/http.ts';
import { ROOT, installTarballs, packPackages } from './support/pack.ts';
import { checkTarball } from '../scripts/package-checks.ts';

let dir: string;
let tarballs: Record<string, string>;
let site: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pingback-packed-'));
  tarballs = packPackages(['core', 'netlify', 'cli', 'astro', 'eleventy', 'postgres'], join(dir, 'tarballs'));
  // Everything but the database store: a site without a database installs no driver. npm still looks up
  // an optional peer it won't install, and the registry here has no @pingback/postgres: the override
  // answers that look-up with the tarball (a published package would answer it from the registry).
  const { '@pingback/postgres': postgres, ...withoutPostgres } = tarballs;
  installTarballs(dir, withoutPostgres, {}, { '@pingback/postgres': `file:${postgres}` });
  site = await startServer(html('<p>x</p>', { 'X-Pingback': 'http://127.0.0.1:9/xmlrpc' }));
}, 240_000);
afterAll(async () => {
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

const files = (tarball: string) => execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');

describe('packed packages, installed outside the workspace', () => {
  it('ship built JavaScript and declarations, no sources or tests', () => {
    expect(files(tarballs['@pingback/astro']!)).toEqual(
      expect.arrayContaining(['package/components/Pingbacks.astro', 'package/components/index.js', 'package/dist/loader.js']),
    );
    for (const tarball of Object.values(tarballs)) {
      const list = files(tarball);
      expect(list).toContain('package/dist/index.js');
      expect(list).toContain('package/dist/index.d.ts');
      expect(list.filter((f) => /\.test\.|\/src\/|tsbuildinfo/.test(f))).toEqual([]);
    }
    expect(files(tarballs['@pingback/cli']!)).toContain('package/bin/pingback.js');
  });

  it('ship the license, and say what a first publish of a scoped package needs', () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    for (const [name, tarball] of Object.entries(tarballs)) {
      expect(execFileSync('tar', ['-xzOf', tarball, 'package/LICENSE'], { encoding: 'utf8' }), name).toBe(license);
      const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
      // npm publishes a new scoped package as restricted (and refuses it without a paid plan) unless told otherwise.
      expect([pkg.license, pkg.publishConfig?.access, pkg.engines?.node], name).toEqual(['MIT', 'public', '>=22.19.0']);
    }
  });

  it('ship no source map that points at a file the tarball lacks', () => {
    // Vite follows a package's maps and warns on every build when their sources aren't there.
    for (const [name, tarball] of Object.entries(tarballs)) {
      const unpacked = mkdtempSync(join(dir, 'unpacked-'));
      execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
      const shipped = new Set(files(tarball));
      const missing: string[] = [];
      for (const file of files(tarball)) {
        const text = readFileSync(join(unpacked, file), 'utf8');
        const at = (ref: string) => posix.normalize(posix.join(posix.dirname(file), ref));
        if (/\.(js|mjs|cjs|d\.ts)$/.test(file)) {
          const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
          if (ref && !ref.startsWith('data:') && !shipped.has(at(ref))) missing.push(`${file} → ${ref}`);
        }
        if (file.endsWith('.map')) {
          const map = JSON.parse(text) as { sourceRoot?: string; sources?: string[] };
          for (const source of map.sources ?? []) if (!shipped.has(at(posix.join(map.sourceRoot ?? '', source)))) missing.push(`${file} → ${source}`);
        }
      }
      expect(missing, name).toEqual([]);
    }
  });

  it('publish clean by publint and attw (exports, files, fields; types for every entry point)', async () => {
    // The same check as `pnpm check:packages`, on the tarballs this file installs.
    const checks = await Promise.all(Object.values(tarballs).map(checkTarball));
    expect(checks.filter((c) => c.problems.length).map((c) => `${c.tarball}\n${c.problems.join('\n')}`)).toEqual([]);
  }, 60_000);

  it('pin the workspace dependencies to real versions', () => {
    const version = (name: string) => JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8')).version;
    for (const name of ['cli', 'netlify']) {
      const pkg = JSON.parse(readFileSync(join(dir, `node_modules/@pingback/${name}/package.json`), 'utf8'));
      expect(pkg.dependencies['@pingback/core']).toBe(version('core'));
    }
    const cli = JSON.parse(readFileSync(join(dir, 'node_modules/@pingback/cli/package.json'), 'utf8'));
    expect(cli.dependencies['@pingback/netlify']).toBe(version('netlify'));
  });

  it('import and work from plain Node (no type stripping inside node_modules)', () => {
    writeFileSync(
      join(dir, 'check.mjs'),
      `import { writeMethodCall, parseMethodCall, FaultCode, sendPingback, discoverEndpoint, VERSION } from '@pingback/core';
       import { toRequest } from '@pingback/core/node';
       import { main } from '@pingback/cli';
       import { renderFunction, emitNetlifyFunction } from '@pingback/netlify';
       import { createPingbackFunction } from '@pingback/netlify/function';
       const call = parseMethodCall(writeMethodCall('pingback.ping', ['http://a.example/', 'http://b.example/']));
       const fns = [sendPingback, discoverEndpoint, main, toRequest, renderFunction, emitNetlifyFunction, createPingbackFunction].map((f) => typeof f);
       console.log(JSON.stringify({ call, already: FaultCode.ALREADY_REGISTERED, fns, VERSION }));`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ['check.mjs'], { cwd: dir, encoding: 'utf8' }));
    expect(out).toEqual({
      call: { methodName: 'pingback.ping', params: ['http://a.example/', 'http://b.example/'] },
      already: 48,
      fns: Array(7).fill('function'),
      VERSION: JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8')).version,
    });
  });

  it('type-check in a consumer project', () => {
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import { sendPingback, type PingResult, type PingStatus } from '@pingback/core';
       const status: PingStatus = 'registered';
       export async function go(): Promise<PingResult> { return sendPingback('http://a.example/', 'http://b.example/', { timeoutMs: 1000 }); }
       // @ts-expect-error: timeoutMs is a number
       sendPingback('a', 'b', { timeoutMs: 'soon' });
       export { status };
       // What an Astro page's frontmatter uses from the components' entry point.
       import { pingbacksFor, pingbackCount, type LinkbacksProps } from '@pingback/astro/components';
       export const sources: string[] = pingbacksFor('/posts/hello/', ['like', 'repost']).map((p) => p.source);
       export const count: number = pingbackCount(new URL('https://blog.example/posts/hello/'));
       export const props: LinkbacksProps = { url: '/posts/hello/', avatars: 'initials', kinds: 'reply' };
       // @ts-expect-error: "likes" is not a kind
       pingbacksFor('/posts/hello/', 'likes');`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['consumer.ts'] }),
    );
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', dir], { cwd: dir, encoding: 'utf8' });
  });

  it('run the pingback command through its installed bin', async () => {
    // Async: the loopback server answering it lives in this process.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` };
    const { stdout } = await promisify(execFile)(join(dir, 'node_modules/.bin/pingback'), ['discover', `${site.url}/`, '--json'], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
    expect(JSON.parse(stdout)).toEqual({ endpoint: 'http://127.0.0.1:9/xmlrpc', via: 'header', webmention: null });
  });
});

describe('without @pingback/postgres installed', () => {
  it('a postgres:// store is a message saying what to install, not a crash', async () => {
    const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` };
    const run = promisify(execFile)(join(dir, 'node_modules/.bin/pingback'), ['list', '--store', 'postgres://pingback:pw@127.0.0.1:9/none'], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
    const failure = (await run.then(
      () => null,
      (error: unknown) => error,
    )) as { code: number; stderr: string } | null;
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(
      /^pingback list: option `--store` is a PostgreSQL URL \(postgres:\/\/pingback:\*\*\*@127\.0\.0\.1:9\/none\), but the package @pingback\/postgres could not be loaded .*\. Install it beside this one: npm install @pingback\/postgres\n/,
    );
  });

  it('the Netlify Function still bundles, leaving the database store to run time', () => {
    writeFileSync(join(dir, 'fn.mjs'), `import { createPingbackFunction } from '@pingback/netlify/function';\nexport default createPingbackFunction;\n`);
    // esbuild itself, without pnpm's NODE_PATH (its .bin wrapper sets one), which would find the workspace's copy.
    const { NODE_PATH: _workspace, ...env } = process.env;
    execFileSync(
      join(ROOT, 'node_modules/esbuild/bin/esbuild'),
      ['fn.mjs', '--bundle', '--platform=node', '--format=esm', '--outfile=fn.bundle.mjs', '--log-level=error'],
      { cwd: dir, env, encoding: 'utf8' },
    );
    expect(readFileSync(join(dir, 'fn.bundle.mjs'), 'utf8')).toContain('import("@pingback/postgres")');
  });
});

describe('examples/astro-blog, outside the workspace, on the packed packages', () => {
  it('installs from the tarballs and builds', async () => {
    const example = join(dir, 'astro-blog');
    cpSync(join(ROOT, 'examples/astro-blog'), example, {
      recursive: true,
      filter: (src) => !/[\\/](node_modules|dist|\.pingback|\.astro)$/.test(src),
    });
    const pkg = JSON.parse(readFileSync(join(example, 'package.json'), 'utf8'));
    const astroRange = pkg.dependencies.astro;
    installTarballs(
      example,
      { '@pingback/core': tarballs['@pingback/core']!, '@pingback/netlify': tarballs['@pingback/netlify']!, '@pingback/astro': tarballs['@pingback/astro']! },
      { astro: astroRange },
      { '@pingback/postgres': `file:${tarballs['@pingback/postgres']}` },
    );
    const env = {
      ...process.env,
      ASTRO_TELEMETRY_DISABLED: '1',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
    };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(example, 'node_modules/astro/bin/astro.mjs'), 'build'], {
      cwd: example,
      env,
      encoding: 'utf8',
    });
    expect(stdout).toMatch(/\[@pingback\/astro\] advertised on 4 pages, 5 posts scanned/);
    expect(`${stdout}${stderr}`).not.toMatch(/sourcemap/i);
    expect(readFileSync(join(example, 'dist/posts/hello-pingbacks/index.html'), 'utf8')).toContain(
      '<link rel="pingback" href="http://127.0.0.1:4321/xmlrpc"><link rel="webmention" href="http://127.0.0.1:4321/webmention">',
    );
    // The packed <PingbackMeta /> turns the front matter of the post that takes pingbacks only into its meta.
    const archive = readFileSync(join(example, 'dist/posts/from-the-archive/index.html'), 'utf8');
    expect(archive).toContain('<meta name="webmention" content="off">');
    expect(archive).not.toContain('rel="webmention"');
  }, 300_000);
});

describe('examples/eleventy-blog, outside the workspace, on the packed packages', () => {
  it('installs from the tarballs and builds', async () => {
    const example = join(dir, 'eleventy-blog');
    cpSync(join(ROOT, 'examples/eleventy-blog'), example, { recursive: true, filter: (src) => !/[\\/](node_modules|_site|\.pingback)$/.test(src) });
    const pkg = JSON.parse(readFileSync(join(example, 'package.json'), 'utf8'));
    installTarballs(
      example,
      {
        '@pingback/core': tarballs['@pingback/core']!,
        '@pingback/netlify': tarballs['@pingback/netlify']!,
        '@pingback/eleventy': tarballs['@pingback/eleventy']!,
      },
      { '@11ty/eleventy': pkg.dependencies['@11ty/eleventy'] },
      { '@pingback/postgres': `file:${tarballs['@pingback/postgres']}` },
    );
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(example, 'node_modules/@11ty/eleventy/cmd.cjs')], {
      cwd: example,
      env,
      encoding: 'utf8',
    });
    expect(`${stdout}${stderr}`).toMatch(/\[@pingback\/eleventy\] advertised on 3 pages, 4 posts scanned/);
    expect(readFileSync(join(example, '_site/posts/static-sites-can-talk/index.html'), 'utf8')).toContain(
      '<link rel="pingback" href="http://127.0.0.1:4322/xmlrpc"><link rel="webmention" href="http://127.0.0.1:4322/webmention">',
    );
    const old = readFileSync(join(example, '_site/posts/xml-rpc-still-works/index.html'), 'utf8');
    expect(old).toContain('<link rel="pingback" href="http://127.0.0.1:4322/xmlrpc">');
    expect(old).not.toContain('rel="webmention"');
  }, 300_000);
});
