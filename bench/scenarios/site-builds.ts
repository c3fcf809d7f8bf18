import { fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PAGE_CACHE_FILE } from '@pingback/core/build';
import { postMarkdown } from '../generate-site.ts';
import type { Figure, Scenario } from '../harness.ts';
import { alternate, median, medianInterval, quartiles } from '../harness.ts';

const SITES = fileURLToPath(new URL('../sites/', import.meta.url));
const IMPORT_TIME = fileURLToPath(new URL('../workers/import-time.ts', import.meta.url));
const EMPTY_MODULE = 'data:text/javascript,export {};';
const MiB = 2 ** 20;

/** What ../sites/plugin-timer.mjs writes: the integration's own time in one build, by what was timed. */
interface PluginTimes {
  spans: Record<string, { calls: number; ms: number }>;
  /** Timed beside the integration but not its own (the total leaves them out). */
  outside?: Record<string, { calls: number; ms: number }>;
  totalMs: number;
}

function importOnce(url: string): Promise<{ ms: number; maxRss: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(IMPORT_TIME, [url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as { ms: number; maxRss: number }));
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`importing ${url} exited ${code}`)));
  });
}

const spread = (values: readonly number[], digits: number) => {
  const [q1, q3] = quartiles(values);
  const [lo, hi] = medianInterval(values);
  return `IQR ${q1.toFixed(digits)}–${q3.toFixed(digits)}, bootstrap 95 % CI of the median ${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
};

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
  /** The integration's package, imported alone in fresh processes for its import time and memory. */
  integration: string;
  /** Alternating rounds each way; cheap builds get more, for a steadier median. */
  rounds: number;
  /** The phases the build's own log times, in ms, by name: where a difference between the builds lies. */
  phases: (output: string) => [string, number][];
}

const ms = (value: string, unit: string) => Number(value) * (unit === 'ms' ? 1 : 1000);

/** Astro's log: content sync and types, build info, the Vite server build, the static routes, its total. */
function astroPhases(output: string): [string, number][] {
  const phases: [string, number][] = [];
  const types = /\[types\] Generated ([\d.]+)(m?s)/.exec(output);
  if (types) phases.push(['content sync and types', ms(types[1]!, types[2]!)]);
  const info = /\[build\] ✓ Completed in ([\d.]+)(m?s)/.exec(output);
  if (info) phases.push(['build info', ms(info[1]!, info[2]!)]);
  const vite = /\[vite\] ✓ built in ([\d.]+)(m?s)/.exec(output);
  if (vite) phases.push(['Vite server build', ms(vite[1]!, vite[2]!)]);
  const routes = /^\S+ ✓ Completed in ([\d.]+)(m?s)/m.exec(output);
  if (routes) phases.push(['static routes', ms(routes[1]!, routes[2]!)]);
  const total = /page\(s\) built in ([\d.]+)(m?s)/.exec(output);
  if (total) phases.push(["Astro's total", ms(total[1]!, total[2]!)]);
  return phases;
}

/** Eleventy's log (with --quiet, one line): its total. */
function eleventyPhases(output: string): [string, number][] {
  const total = /Wrote \d+ files? in ([\d.]+) seconds/.exec(output);
  return total ? [["Eleventy's total", ms(total[1]!, 's')]] : [];
}

/**
 * Each phase's median with and without, and the process's time outside the build's own total (start,
 * config, exit): which part of the build the integration makes longer, beside what its hooks were timed at.
 */
function phaseFigure(spec: SiteSpec, variant: string, withRuns: { output: string; ms: number }[], withoutRuns: { output: string; ms: number }[]): Figure {
  const table = (runs: { output: string; ms: number }[]) => {
    const byName = new Map<string, number[]>();
    for (const run of runs) {
      const phases = spec.phases(run.output);
      for (const [name, value] of phases) byName.set(name, [...(byName.get(name) ?? []), value]);
      const total = phases.at(-1)?.[1];
      if (total !== undefined) byName.set('process outside that', [...(byName.get('process outside that') ?? []), run.ms - total]);
    }
    return byName;
  };
  const a = table(withRuns);
  const b = table(withoutRuns);
  const parts = [...a.keys()]
    .filter((name) => b.has(name))
    .map((name) => {
      const w = median(a.get(name)!);
      const wo = median(b.get(name)!);
      return `${name} ${Math.round(w)} / ${Math.round(wo)} ms (${w >= wo ? '+' : ''}${Math.round(w - wo)})`;
    });
  const difference = median(withRuns.map((r) => r.ms)) - median(withoutRuns.map((r) => r.ms));
  return {
    scenario: `${spec.label} build`,
    metric: `${variant}: where the with build is longer: phases from its log, with / without`,
    measured: Math.round(difference),
    baseline: null,
    ratio: null,
    unit: 'ms',
    target: 'report',
    pass: true,
    notes: `medians of ${withRuns.length} builds each; ${parts.join(', ')}`,
  };
}

/**
 * The instrument's own spread: each build without the integration over the next one without (the same
 * build, a pair or two apart, as A/A). A difference narrower than this spread is not seen by the paired
 * ratio; the integration's own time, timed in-process, is the figure that sees it.
 */
function noiseFigure(spec: SiteSpec, variant: string, withoutRuns: readonly number[]): Figure {
  const ratios = withoutRuns.slice(1).map((ms, i) => ms / withoutRuns[i]!);
  const [q1, q3] = ratios.length > 1 ? quartiles(ratios) : [1, 1];
  return {
    scenario: `${spec.label} build`,
    metric: `${variant}: noise floor, a build without over the next build without (A/A)`,
    measured: ratios.length > 0 ? median(ratios) : 1,
    baseline: null,
    ratio: null,
    unit: '×',
    target: 'report',
    pass: true,
    notes: `${ratios.length} consecutive pairs of the builds without; ${ratios.length > 1 ? `${spread(ratios, 3)}; the IQR spans ${((q3 - q1) * 100).toFixed(1)} % against the 3 % margin` : 'too few builds for a spread'}`,
  };
}

/**
 * The integration imported alone, in a fresh process each time, alternating with a process that imports an
 * empty module: the import's own time, and what it adds to the peak resident memory.
 */
async function importFigures(spec: SiteSpec, rounds: number): Promise<Figure[]> {
  const url = pathToFileURL(createRequire(join(spec.dir, 'package.json')).resolve(spec.integration)).href;
  const ours: { ms: number; maxRss: number }[] = [];
  const empty: { ms: number; maxRss: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const which of r % 2 ? [empty, ours] : [ours, empty]) which.push(await importOnce(which === ours ? url : EMPTY_MODULE));
  }
  const ms = ours.map((o, i) => o.ms - empty[i]!.ms);
  const mib = ours.map((o, i) => (o.maxRss - empty[i]!.maxRss) / MiB);
  const time = median(ms);
  const memory = median(mib);
  return [
    {
      scenario: `${spec.label} build`,
      metric: `importing ${spec.integration}, fresh process`,
      measured: time,
      baseline: null,
      ratio: null,
      unit: 'ms',
      target: '≤ 30 ms',
      pass: time <= 30,
      notes: `import time over an empty module's (${median(empty.map((e) => e.ms)).toFixed(1)} ms), median of ${rounds} alternated pairs; ${spread(ms, 1)} ms`,
    },
    {
      scenario: `${spec.label} build`,
      metric: `importing ${spec.integration}, peak memory added`,
      measured: memory,
      baseline: null,
      ratio: null,
      unit: 'MiB',
      target: '≤ 8 MiB',
      pass: memory <= 8,
      notes: `peak RSS over an empty module's process (${median(empty.map((e) => e.maxRss / MiB)).toFixed(1)} MiB), median of ${rounds} alternated pairs; ${spread(mib, 1)} MiB`,
    },
  ];
}

/**
 * `rounds` alternated pairs of builds, with the integration and without. One build with it first, not
 * timed, leaves the page cache a rebuild finds; for a first build, the cache is removed before each.
 */
async function measure(spec: SiteSpec, count: number, rounds: number, times: string, pageCache: string, variant: 'rebuild' | 'first build'): Promise<Figure[]> {
  const withEnv = { PINGBACK_BENCH_OUT: 'out-with', PINGBACK_BENCH_WITH: '1', PINGBACK_BENCH_TIMES: times };
  let output = await build(spec.cmd, spec.dir, withEnv);
  const primed = (await stat(pageCache)).mtimeMs;
  const plugin: PluginTimes[] = [];
  const withRuns: { output: string; ms: number }[] = [];
  const withoutRuns: { output: string; ms: number }[] = [];
  const timed = async (runs: typeof withRuns, env: Record<string, string>) => {
    const started = performance.now();
    const out = await build(spec.cmd, spec.dir, env);
    runs.push({ output: out, ms: performance.now() - started });
    return out;
  };
  const timing = await alternate(
    rounds,
    () => timed(withoutRuns, { PINGBACK_BENCH_OUT: 'out-without' }),
    async () => {
      output = await timed(withRuns, withEnv);
      plugin.push(JSON.parse(await readFile(times, 'utf8')) as PluginTimes);
    },
    async (which) => {
      if (which === 'subject' && variant === 'first build') await rm(pageCache, { force: true });
    },
  );
  const html = await readFile(join(spec.dir, 'out-with', spec.post), 'utf8');
  if (!html.includes('<link rel="pingback" href="https://bench.example/xmlrpc">') || !existsSync(join(spec.dir, '.pingback/manifest.json'))) {
    throw new Error(`the integration did not run in the build:\n${output.slice(-1500)}`);
  }
  // A build that scanned any page again would have rewritten the cache.
  const cache =
    variant === 'first build'
      ? 'each build with started without a page cache'
      : (await stat(pageCache)).mtimeMs === primed
        ? 'each build with found every page in the page cache (its file never rewritten)'
        : 'the page cache was rewritten: some builds scanned pages again';
  // Each round's two builds ran back to back: their ratio is the paired figure, the machine's drift mostly cancelled.
  const ratios = timing.subjectRuns.map((s, i) => s / timing.baselineRuns[i]!);
  const ratio = median(ratios);
  const [, high] = medianInterval(ratios);
  const fractions = plugin.map((p, i) => p.totalMs / timing.subjectRuns[i]!);
  const fraction = median(fractions);
  const last = plugin.at(-1)!;
  const parts = Object.entries(last.spans)
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, span]) => `${name} ${span.ms.toFixed(span.ms < 10 ? 1 : 0)} ms${span.calls > 1 ? ` (${span.calls} calls)` : ''}`)
    .join(', ');
  const outside = Object.entries(last.outside ?? {})
    .map(([name, span]) => `; beside it, not counted: ${name} ${span.ms.toFixed(0)} ms`)
    .join('');
  return [
    {
      scenario: `${spec.label} build`,
      metric: `${variant}: ${count} pages, build time, with / without`,
      measured: Math.round(timing.subject),
      baseline: Math.round(timing.baseline),
      ratio,
      unit: 'ms',
      target: '≤ 1.03 × without, CI included',
      pass: high <= 1.03,
      notes: `median of ${rounds} alternated pairs' ratios; ${spread(ratios, 3)}; ${cache}; with: ${timing.subjectRuns.map(Math.round).join(', ')} ms; without: ${timing.baselineRuns.map(Math.round).join(', ')} ms`,
    },
    {
      scenario: `${spec.label} build`,
      metric: `${variant}: the integration's own time, share of the build`,
      measured: Math.round(median(plugin.map((p) => p.totalMs))),
      baseline: Math.round(timing.subject),
      ratio: fraction,
      unit: 'ms',
      target: '≤ 0.03 (moonshot 0.01)',
      pass: fraction <= 0.03,
      notes: `import, plugin call, hooks, transforms, filters and Vite hooks timed in the build's process (hrtime), over the build's wall time; median of ${rounds}; ${spread(fractions, 4)}; last run: ${parts}${outside}`,
    },
    noiseFigure(spec, variant, timing.baselineRuns),
    phaseFigure(spec, variant, withRuns, withoutRuns),
  ];
}

function siteScenario(spec: SiteSpec): Scenario {
  return {
    name: spec.name,
    summary: `a real ${spec.label} build of a 1,000-page site, with and without the integration`,
    async run({ smoke, log }) {
      const count = smoke ? 20 : 1000;
      // PINGBACK_BENCH_ROUNDS asks for more pairs (a longer run, a narrower interval) than the default.
      const rounds = smoke ? 1 : Number(process.env.PINGBACK_BENCH_ROUNDS) || spec.rounds;
      await rm(spec.postsDir, { recursive: true, force: true });
      await mkdir(spec.postsDir, { recursive: true });
      for (const [file, content] of Object.entries(spec.extra ?? {})) await writeFile(join(spec.postsDir, file), content);
      for (let i = 0; i < count; i++) await writeFile(join(spec.postsDir, `post-${i}.md`), postMarkdown(i));
      log(`${count} posts generated; ${rounds} alternating builds each way`);
      const times = join(spec.dir, '.plugin-times.json');
      const pageCache = join(spec.dir, 'node_modules/.cache/pingback', PAGE_CACHE_FILE);
      try {
        // A rebuild (the page cache as the build before left it: what every build after a site's first
        // sees) and a first build (no page cache: each with build starts without one), each against
        // builds without the integration.
        const rebuild = await measure(spec, count, rounds, times, pageCache, 'rebuild');
        const first = await measure(spec, count, rounds, times, pageCache, 'first build');
        return [...rebuild, ...first, ...(await importFigures(spec, smoke ? 2 : 15))] satisfies Figure[];
      } finally {
        for (const out of ['out-with', 'out-without']) await rm(join(spec.dir, out), { recursive: true, force: true });
        await rm(times, { force: true });
        await rm(join(spec.dir, '.pingback'), { recursive: true, force: true });
        await rm(pageCache, { force: true });
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
  integration: '@pingback/astro',
  rounds: 8,
  phases: astroPhases,
});

export const eleventyBuild = siteScenario({
  name: 'eleventy-build',
  label: 'Eleventy',
  dir: join(SITES, 'eleventy'),
  cmd: ['node_modules/@11ty/eleventy/cmd.cjs', '--quiet'],
  postsDir: join(SITES, 'eleventy/src/posts'),
  extra: { 'posts.11tydata.json': JSON.stringify({ layout: 'post.njk', tags: ['posts'] }) },
  post: 'posts/post-1/index.html',
  integration: '@pingback/eleventy',
  rounds: 12,
  phases: eleventyPhases,
});
