import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postMarkdown } from '../generate-site.ts';
import type { Figure, Scenario } from '../harness.ts';
import { alternate } from '../harness.ts';

const SITES = fileURLToPath(new URL('../sites/', import.meta.url));

function build(cmd: string[], cwd: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cmd, {
      cwd,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NO_COLOR: '1', VITEST: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`build failed (${code}):\n${out.slice(-2000)}`))));
  });
}

interface SiteSpec {
  name: string;
  label: string;
  dir: string;
  cmd: string[];
  postsDir: string;
  extra?: Record<string, string>;
  /** Proves the integration really ran in the "with" build: a post carries the link element. */
  post: string;
  /** Alternating rounds each way; cheap builds get more, for a steadier median. */
  rounds: number;
}

function siteScenario(spec: SiteSpec): Scenario {
  return {
    name: spec.name,
    summary: `a real ${spec.label} build of a 1,000-page site, with and without the integration`,
    async run({ smoke, log }) {
      const count = smoke ? 20 : 1000;
      const rounds = smoke ? 1 : spec.rounds;
      await rm(spec.postsDir, { recursive: true, force: true });
      await mkdir(spec.postsDir, { recursive: true });
      for (const [file, content] of Object.entries(spec.extra ?? {})) await writeFile(join(spec.postsDir, file), content);
      for (let i = 0; i < count; i++) await writeFile(join(spec.postsDir, `post-${i}.md`), postMarkdown(i));
      log(`${count} posts generated; ${rounds} alternating builds each way`);
      let output = '';
      try {
        const timing = await alternate(
          rounds,
          () => build(spec.cmd, spec.dir, { PINGBACK_BENCH_OUT: 'out-without' }),
          async () => {
            output = await build(spec.cmd, spec.dir, { PINGBACK_BENCH_OUT: 'out-with', PINGBACK_BENCH_WITH: '1' });
          },
        );
        const html = await readFile(join(spec.dir, 'out-with', spec.post), 'utf8');
        if (!html.includes('<link rel="pingback" href="https://bench.example/xmlrpc">') || !existsSync(join(spec.dir, '.pingback/manifest.json'))) {
          throw new Error(`the integration did not run in the build:\n${output.slice(-1500)}`);
        }
        const ratio = timing.subject / timing.baseline;
        return [
          {
            scenario: `${spec.label} build`,
            metric: `${count} pages, build time`,
            measured: Math.round(timing.subject),
            baseline: Math.round(timing.baseline),
            ratio,
            unit: 'ms',
            target: '≤ 1.05 × without',
            pass: ratio <= 1.05,
            notes: `median of ${rounds}; with: ${timing.subjectRuns.map(Math.round).join(', ')} ms; without: ${timing.baselineRuns.map(Math.round).join(', ')} ms`,
          },
        ] satisfies Figure[];
      } finally {
        for (const out of ['out-with', 'out-without']) await rm(join(spec.dir, out), { recursive: true, force: true });
        await rm(join(spec.dir, '.pingback'), { recursive: true, force: true });
      }
    },
  };
}

export const astroBuild = siteScenario({
  name: 'astro-build',
  label: 'Astro',
  dir: join(SITES, 'astro'),
  cmd: ['node_modules/astro/bin/astro.mjs', 'build'],
  postsDir: join(SITES, 'astro/src/content/posts'),
  post: 'posts/post-1/index.html',
  rounds: 3,
});

export const eleventyBuild = siteScenario({
  name: 'eleventy-build',
  label: 'Eleventy',
  dir: join(SITES, 'eleventy'),
  cmd: ['node_modules/@11ty/eleventy/cmd.cjs', '--quiet'],
  postsDir: join(SITES, 'eleventy/src/posts'),
  extra: { 'posts.11tydata.json': JSON.stringify({ layout: 'post.njk', tags: ['posts'] }) },
  post: 'posts/post-1/index.html',
  rounds: 5,
});
