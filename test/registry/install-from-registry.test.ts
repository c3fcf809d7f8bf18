// What a user does, against a real npm registry: every package is published to a local Verdaccio exactly as
// a release publishes it, and fresh folders outside the workspace install from it with the commands the
// READMEs give. Run by `pnpm test:registry` (and .ci/run), apart from `pnpm test`: about 75 s alone, most of it
// npm installing astro and Eleventy through the registry's proxy with an npm cache that starts empty.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/pack.ts';
import type { LocalRegistry, UserShell } from '../support/registry.ts';
import { PACKAGES, publishPackage, startRegistry, userShell } from '../support/registry.ts';

let dir: string;
let registry: LocalRegistry;
let shell: UserShell;
const timings: string[] = [];

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    timings.push(`${what}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
}

const version = (name: string) => JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8')).version as string;
const dependencyRange = (example: string, name: string) =>
  JSON.parse(readFileSync(join(ROOT, 'examples', example, 'package.json'), 'utf8')).dependencies[name] as string;

/**
 * The registry this machine kind reaches lacks @11ty/recursive-copy 4.0.5 and 4.0.6, which @11ty/eleventy 3.1.8
 * asks for (see pnpm-workspace.yaml). A user here hits the same gap and answers it the way npm offers:
 * `overrides` in the site's package.json. 4.0.4 does the same for Eleventy's passthrough copy.
 */
const ELEVENTY_REGISTRY_GAP = { '@11ty/recursive-copy': '4.0.4' };

/** Builds under the test runner default to dryRun (no outbound network), as the integrations' docs say. */
const NO_NETWORK = { VITEST: 'true' };

const POST_LINK = '<link rel="pingback" href="https://blog.example/xmlrpc">';

/** The emitted Function, loaded by Node from the site's own node_modules, answering a GET (405 + Allow). */
async function functionAnswers(site: string): Promise<unknown> {
  const script = `const fn = await import('./.netlify/v1/functions/pingback.mjs');
    const reply = await fn.default.fetch(new Request('https://blog.example/xmlrpc'));
    console.log(JSON.stringify({ status: reply.status, allow: reply.headers.get('allow'), paths: fn.config.path }));`;
  const { stdout } = await shell.node(['--input-type=module', '-e', script], site);
  return JSON.parse(stdout);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pingback-registry-'));
  registry = await startRegistry(join(dir, 'registry'));
  shell = userShell(join(dir, 'user'), registry);
  await timed('publish 6 packages (pnpm publish)', async () => {
    for (const name of PACKAGES) await publishPackage(name, registry);
  });
}, 180_000);

afterAll(async () => {
  // The figures the README quotes; vitest shows what a file prints.
  if (timings.length) console.log(`[registry test] ${timings.join('; ')}`);
  await registry?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('published to a registry', () => {
  it('every package is there at its version, with workspace ranges rewritten to real ones', async () => {
    for (const name of PACKAGES) {
      const response = await fetch(`${registry.url}@pingback%2f${name}`);
      expect(response.status, name).toBe(200);
      const doc = (await response.json()) as { 'dist-tags': { latest: string }; versions: Record<string, { dependencies?: Record<string, string> }> };
      expect(doc['dist-tags'].latest, name).toBe(version(name));
      const deps = Object.values(doc.versions[version(name)]?.dependencies ?? {});
      expect(
        deps.filter((range) => range.startsWith('workspace:')),
        name,
      ).toEqual([]);
    }
  });
});

describe.concurrent('fresh folders outside the workspace, installing from the registry', () => {
  it('npx astro add @pingback/astro --yes in a new Astro site: the config is edited, and the site builds with the link, the manifest and on Netlify the Function', async () => {
    const site = join(dir, 'astro-site');
    mkdirSync(join(site, 'src/pages/posts'), { recursive: true });
    writeFileSync(
      join(site, 'package.json'),
      JSON.stringify(
        {
          name: 'my-astro-site',
          private: true,
          type: 'module',
          scripts: { build: 'astro build' },
          dependencies: { astro: dependencyRange('astro-blog', 'astro') },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(site, 'astro.config.mjs'),
      `import { defineConfig } from 'astro/config';\n\nexport default defineConfig({\n  site: 'https://blog.example',\n});\n`,
    );
    writeFileSync(
      join(site, 'src/pages/posts/hello.astro'),
      '<html lang="en">\n  <head><title>Hello</title></head>\n  <body><article><h1>Hello</h1><p>A first post.</p></article></body>\n</html>\n',
    );
    await timed('astro site: npm install', () => shell.npm(['install'], site));

    const added = await timed('astro site: npx astro add @pingback/astro --yes', () => shell.npx(['astro', 'add', '@pingback/astro', '--yes'], site));
    const config = readFileSync(join(site, 'astro.config.mjs'), 'utf8');
    const name = /^import (\w+) from ['"]@pingback\/astro['"];?$/m.exec(config)?.[1];
    expect(name, `${config}\n${added.stdout}`).toBeDefined();
    expect(config).toMatch(new RegExp(`integrations: \\[\\s*${name}\\(\\)\\s*\\]`));
    const pkg = JSON.parse(readFileSync(join(site, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@pingback/astro']).toBe(`^${version('astro')}`);

    const built = await timed('astro site: astro build', () => shell.npx(['astro', 'build'], site, NO_NETWORK));
    expect(`${built.stdout}${built.stderr}`).toMatch(/\[@pingback\/astro\] advertised on 1 page, 1 post scanned/);
    expect(readFileSync(join(site, 'dist/posts/hello/index.html'), 'utf8')).toContain(POST_LINK);
    const manifest = JSON.parse(readFileSync(join(site, '.pingback/manifest.json'), 'utf8'));
    expect(manifest.posts.map((p: { source: string }) => p.source)).toEqual(['https://blog.example/posts/hello/']);

    // On Netlify the build asks for the package that ships the Function; a user installs it and builds again.
    const asked = await shell.npx(['astro', 'build'], site, { ...NO_NETWORK, NETLIFY: 'true' });
    expect(`${asked.stdout}${asked.stderr}`).toContain('building for Netlify, but @pingback/netlify is not installed: add it (npm i @pingback/netlify)');
    await timed('astro site: npm install @pingback/netlify', () => shell.npm(['install', '@pingback/netlify'], site));
    const netlify = await shell.npx(['astro', 'build'], site, { ...NO_NETWORK, NETLIFY: 'true' });
    expect(`${netlify.stdout}${netlify.stderr}`).toMatch(/\[@pingback\/astro\] Netlify Function emitted to \.netlify\/v1\/functions\/pingback\.mjs/);
    expect(await functionAnswers(site)).toMatchObject({ status: 405, allow: 'POST', paths: expect.arrayContaining(['/xmlrpc']) });
  }, 600_000);

  it('npm install @pingback/eleventy and one line in eleventy.config.js: the site builds with the link, the manifest and on Netlify the Function', async () => {
    const site = join(dir, 'eleventy-site');
    mkdirSync(join(site, '_includes'), { recursive: true });
    mkdirSync(join(site, 'posts'), { recursive: true });
    writeFileSync(
      join(site, 'package.json'),
      JSON.stringify({ name: 'my-eleventy-site', private: true, type: 'module', overrides: ELEVENTY_REGISTRY_GAP }, null, 2),
    );
    writeFileSync(
      join(site, '_includes/post.njk'),
      '<!doctype html>\n<html lang="en">\n  <head><title>{{ title }}</title></head>\n  <body><article>{{ content | safe }}</article></body>\n</html>\n',
    );
    writeFileSync(join(site, 'posts/hello.md'), '---\nlayout: post.njk\ntitle: Hello\n---\nA first post.\n');
    writeFileSync(
      join(site, 'eleventy.config.js'),
      `import pingback from '@pingback/eleventy';\n\nexport default function (eleventyConfig) {\n  eleventyConfig.addPlugin(pingback, { site: 'https://blog.example/' });\n}\n`,
    );
    await timed('eleventy site: npm install @pingback/eleventy @pingback/netlify @11ty/eleventy', () =>
      shell.npm(['install', '@pingback/eleventy', '@pingback/netlify', `@11ty/eleventy@${dependencyRange('eleventy-blog', '@11ty/eleventy')}`], site),
    );
    const pkg = JSON.parse(readFileSync(join(site, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@pingback/eleventy']).toBe(`^${version('eleventy')}`);

    const built = await timed('eleventy site: npx @11ty/eleventy', () => shell.npx(['@11ty/eleventy'], site, NO_NETWORK));
    expect(`${built.stdout}${built.stderr}`).toMatch(/\[@pingback\/eleventy\] advertised on 1 page, 1 post scanned/);
    expect(readFileSync(join(site, '_site/posts/hello/index.html'), 'utf8')).toContain(POST_LINK);
    const manifest = JSON.parse(readFileSync(join(site, '.pingback/manifest.json'), 'utf8'));
    expect(manifest.posts.map((p: { source: string }) => p.source)).toEqual(['https://blog.example/posts/hello/']);

    const netlify = await shell.npx(['@11ty/eleventy'], site, { ...NO_NETWORK, NETLIFY: 'true' });
    expect(`${netlify.stdout}${netlify.stderr}`).toMatch(/\[@pingback\/eleventy\] Netlify Function emitted to \.netlify\/v1\/functions\/pingback\.mjs/);
    expect(await functionAnswers(site)).toMatchObject({ status: 405, allow: 'POST', paths: expect.arrayContaining(['/xmlrpc']) });
  }, 600_000);

  it('npx @pingback/cli --help runs the pingback command', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const { stdout } = await timed('npx @pingback/cli --help', () => shell.npx(['--yes', '@pingback/cli', '--help'], empty));
    expect(stdout).toMatch(new RegExp(`^pingback ${version('cli').replaceAll('.', '\\.')}: Pingback 1\\.0 and Webmention from the command line\\.`));
    expect(stdout).toMatch(/^ {2}send {2,}/m);
    expect(existsSync(join(empty, 'node_modules'))).toBe(false);
  }, 300_000);
});
