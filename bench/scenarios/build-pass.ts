import { fork, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PageResult } from '@pingback/core';
import {
  buildManifest,
  keptPage,
  pageInfo,
  pageScanSettings,
  passSettings,
  processPage,
  resolveIntegrationOptions,
  scanPage,
  writeFileAtomic,
} from '@pingback/core';
// The integration's own writers (internal to @pingback/astro, so imported from its source).
import { rewriteFile, writeInsertion } from '../../packages/astro/src/rewrite-file.ts';
import { generateSite, postHtml } from '../generate-site.ts';
import type { Figure, Scenario } from '../harness.ts';
import { alternate, median, quartiles } from '../harness.ts';
import { pathologicalPages } from '../pathological-pages.ts';

const SITE = 'https://bench.example/';
const COLD_PASS = fileURLToPath(new URL('../workers/cold-pass.ts', import.meta.url));
/** The receiver's pathological pages, and the shapes that cost the page scan most: deep, with stray end tags. */
function worstPages(size: number): { name: string; html: string }[] {
  const depth = Math.floor(size / 2 / 5);
  return [
    ...pathologicalPages('https://target.example/post/', size),
    { name: 'unclosed blocks, then stray end tags', html: `<body>${'<div>'.repeat(depth)}${'</span>'.repeat(Math.floor((size - depth * 5) / 7))}` },
    {
      name: 'nested articles, then content',
      html: `<body>${'<article>'.repeat(Math.floor(depth / 2))}${'<div class="e-content">'.repeat(Math.floor((size - depth * 4.5) / 23))}`,
    },
  ];
}

/**
 * The page scan over the worst pages at two sizes, with the default content selectors and with descendant
 * and child combinators: the worst page's time at the full size over its time at half (linear is 2 ×).
 */
function worstPageFigure(smoke: boolean): Figure {
  const size = smoke ? 64 * 1024 : 1024 * 1024;
  const settings = [pageScanSettings(), pageScanSettings('main article .e-content, body > main > article', 'nav a, div > .no-pingback')];
  const time = (html: string) =>
    median(
      Array.from({ length: 3 }, () => {
        const started = performance.now();
        for (const s of settings) scanPage(html, s);
        return performance.now() - started;
      }),
    );
  const halves = worstPages(size / 2);
  for (const page of halves) time(page.html); // warm-up, untimed: the first pages would pay for the JIT
  const fulls = worstPages(size);
  let worst = { index: 0, full: 0 };
  fulls.forEach((page, i) => {
    const full = time(page.html);
    if (full > worst.full) worst = { index: i, full };
  });
  // The slowest page is picked by one median of 3, which a pause can inflate: its two sizes are then timed
  // again, alternated, so that the ratio is not the pick's own noise over a quiet half.
  const fullTimes: number[] = [];
  const halfTimes: number[] = [];
  for (let r = 0; r < (smoke ? 1 : 7); r++) {
    halfTimes.push(time(halves[worst.index]!.html));
    fullTimes.push(time(fulls[worst.index]!.html));
  }
  const full = median(fullTimes);
  const half = median(halfTimes);
  const ratio = full / half;
  return {
    scenario: 'build pass',
    metric: `scanning the worst page, ${size / 1024} KiB / ${size / 2048} KiB`,
    measured: Math.round(full),
    baseline: Math.round(half),
    ratio,
    unit: 'ms',
    target: '≤ 3 × (linear 2 ×, quadratic 4 ×)',
    pass: ratio <= 3,
    notes: `worst of ${fulls.length} pages: ${fulls[worst.index]!.name}; both selector sets, medians of ${smoke ? 1 : 7} alternated rounds of a median of 3`,
  };
}

function coldPassOnce(count: number): Promise<{ first: number; warm: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(COLD_PASS, [String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as { first: number; warm: number }));
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`the cold pass exited ${code}`)));
  });
}

/**
 * The pass over a build's worth of pages in a fresh process, the first time (what a build pays) over the
 * same pages once V8 has compiled the code: what a thousand-page build pays for the code being new.
 */
async function coldPassFigure(smoke: boolean): Promise<Figure> {
  const count = smoke ? 200 : 1000;
  const runs: { first: number; warm: number }[] = [];
  for (let r = 0; r < (smoke ? 1 : 7); r++) runs.push(await coldPassOnce(count));
  const ratios = runs.map((r) => r.first / r.warm);
  const [q1, q3] = quartiles(ratios);
  const first = median(runs.map((r) => r.first));
  const warm = median(runs.map((r) => r.warm));
  return {
    scenario: 'build pass',
    metric: `${count} pages, first pass in a fresh process / warm`,
    measured: Math.round(first),
    baseline: Math.round(warm),
    ratio: median(ratios),
    unit: 'ms',
    target: 'report',
    pass: true,
    notes: `processPage and keptPage over ${count} 30 KB posts; median of ${runs.length} fresh processes, IQR ${q1.toFixed(2)}–${q3.toFixed(2)}; ${((first / count) * 1000).toFixed(0)} µs a page first, ${((warm / count) * 1000).toFixed(0)} µs warm`,
  };
}

/**
 * The integrations' whole post-build pass (read each page, scan it once, add the link element, collect
 * its external links, write it, write the manifest) against a baseline that reads and rewrites every file
 * unchanged, both with synchronous reads and in-place writes as @pingback/astro does them, on a generated
 * site of 30 KB posts. Each run starts from pristine files.
 */
export const buildPass: Scenario = {
  name: 'build-pass',
  summary: 'post-build pass over generated 30 KB posts vs reading and rewriting them',
  async run({ smoke, log }) {
    const count = smoke ? 200 : 10_000;
    const rounds = smoke ? 1 : 3;
    const dir = await mkdtemp(join(tmpdir(), 'pingback-bench-pass-'));
    try {
      const work = join(dir, 'work');
      log(`generating ${count} posts`);
      const pristine = Array.from({ length: count }, (_, i) => postHtml(i, SITE));
      const files = await generateSite(work, count, SITE, (i) => pristine[i]!);
      const index = new Map(files.map((f, i) => [f, i]));
      const options = resolveIntegrationOptions({ directories: [] }, { site: SITE, siteHint: '', dryRunByDefault: true, onNetlify: false });
      const settings = passSettings(options);
      let last: PageResult[] = [];
      const pass = async (which = files) => {
        const pages: PageResult[] = [];
        // As @pingback/astro does it: each page read and written synchronously (the link elements written
        // in place), and kept as keptPage keeps it.
        for (const file of which) {
          const bytes = readFileSync(file);
          const html = bytes.toString('utf8');
          const path = `/${relative(work, file).split(sep).join('/')}`.replace(/index\.html$/, '');
          const result = processPage(html, pageInfo(options.site, path), settings);
          if (result.changed) writeInsertion(file, bytes, html, result.html, result.scan.insertAt);
          pages.push(keptPage(result));
        }
        const manifest = buildManifest(pages, {
          site: options.site,
          endpoint: options.endpoint,
          hosts: [],
          directories: [],
          feed: undefined,
          name: undefined,
          generator: 'bench',
        });
        await writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest));
        last = pages;
      };
      // The same reads and writes without the pass: each page read, then written back over itself in place.
      const rewrite = async (which = files) => {
        for (const file of which) rewriteFile(file, readFileSync(file, 'utf8'));
      };
      // Every run starts from the same state: pristine files written back from memory and flushed to disk,
      // untimed, so neither run pays for the other's write-back.
      const fresh = async () => {
        for (const file of files) writeFileSync(file, pristine[index.get(file)!]!);
        spawnSync('sync');
      };
      // Both warmed up on a few pages first (JIT), untimed.
      await rewrite(files.slice(0, 200));
      await pass(files.slice(0, 200));
      const timing = await alternate(
        rounds,
        () => rewrite(),
        () => pass(),
        fresh,
      );
      const bytes = count * 30_380;
      const ratio = timing.baseline / timing.subject;
      const links = last.reduce((n, p) => n + p.targets.length, 0);
      if (last.length !== count || last.some((p) => !p.changed) || links === 0) throw new Error('the pass did not process every page');
      return [
        {
          scenario: 'build pass',
          metric: `throughput, ${count} posts`,
          measured: Math.round(bytes / 1e6 / (timing.subject / 1000)),
          baseline: Math.round(bytes / 1e6 / (timing.baseline / 1000)),
          ratio,
          unit: 'MB/s',
          target: '≥ 0.5 × baseline',
          pass: ratio >= 0.5,
          notes: `median of ${rounds}; ${links} links collected`,
        },
        worstPageFigure(smoke),
        await coldPassFigure(smoke),
      ] satisfies Figure[];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
