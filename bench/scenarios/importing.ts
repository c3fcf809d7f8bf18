import { fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Figure, Scenario } from '../harness.ts';
import { median } from '../harness.ts';
import type { WxrShape } from '../generate-wxr.ts';
import { expectedCounts, generateWxr } from '../generate-wxr.ts';

const WORKER = fileURLToPath(new URL('../workers/import-run.ts', import.meta.url));
const MB = 1024 * 1024;

interface Run {
  ms: number;
  records: number;
  maxRss: number;
}

function runWorker(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as Run));
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`import worker ${args.join(' ')} exited ${code}`)));
  });
}

async function writeExport(path: string, shape: WxrShape): Promise<number> {
  await pipeline(Readable.from(generateWxr(shape)), createWriteStream(path));
  return (await stat(path)).size;
}

const total = (shape: WxrShape) => Object.values(expectedCounts(shape)).reduce((a, b) => a + b, 0);

/**
 * `pingback import wordpress --comments` on a generated WordPress export of 100,000 comments (1,000
 * posts of 100), each run in a fresh process: its time against reading the same file's bytes and nothing
 * more, and its peak memory against an export a tenth the size (streaming: the same); then the file-system
 * store's share, importing a smaller export into a real store.
 */
export const importing: Scenario = {
  name: 'importing',
  summary: 'importing a 100,000-comment WordPress export: time against reading the file, peak memory against one a tenth the size',
  async run({ smoke, log }) {
    const dir = await mkdtemp(join(tmpdir(), 'pingback-bench-import-'));
    try {
      const big: WxrShape = smoke ? { posts: 20, commentsPerPost: 50 } : { posts: 1000, commentsPerPost: 100 };
      const small: WxrShape = { posts: big.posts / 10, commentsPerPost: big.commentsPerPost };
      const stored: WxrShape = smoke ? { posts: 2, commentsPerPost: 50 } : { posts: 20, commentsPerPost: 100 };
      const bigFile = join(dir, 'big.xml');
      const smallFile = join(dir, 'small.xml');
      const storedFile = join(dir, 'stored.xml');
      const bytes = await writeExport(bigFile, big);
      await writeExport(smallFile, small);
      await writeExport(storedFile, stored);
      const comments = big.posts * big.commentsPerPost;
      log(
        `generated exports: ${comments} comments (${(bytes / MB).toFixed(0)} MB), ${small.posts * small.commentsPerPost} and ${stored.posts * stored.commentsPerPost}`,
      );

      const rounds = smoke ? 1 : 3;
      const reads: Run[] = [];
      const imports: Run[] = [];
      const smalls: Run[] = [];
      for (let r = 0; r < rounds; r++) {
        reads.push(await runWorker(['read', bigFile]));
        imports.push(await runWorker(['import', bigFile, String(big.posts)]));
        smalls.push(await runWorker(['import', smallFile, String(small.posts)]));
      }
      for (const run of imports) if (run.records !== total(big)) throw new Error(`imported ${run.records} records, expected ${total(big)}`);
      const readMs = median(reads.map((r) => r.ms));
      const importMs = median(imports.map((r) => r.ms));
      const peak = median(imports.map((r) => r.maxRss));
      const smallPeak = median(smalls.map((r) => r.maxRss));
      const readPeak = median(reads.map((r) => r.maxRss));

      const storeDir = join(dir, 'store');
      const intoStore = await runWorker(['store', storedFile, String(stored.posts), storeDir]);
      if (intoStore.records !== total(stored)) throw new Error(`stored ${intoStore.records} records, expected ${total(stored)}`);
      const perSecond = intoStore.records / (intoStore.ms / 1000);

      const ms = (n: number) => Math.round(n);
      return [
        {
          scenario: 'importing',
          metric: `import ${comments} comments (${(bytes / MB).toFixed(0)} MB, two passes), store discarding`,
          measured: ms(importMs),
          baseline: ms(readMs),
          ratio: importMs / readMs,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: 'baseline: reading the same file, no parsing',
        },
        {
          scenario: 'importing',
          metric: '… peak resident memory, against an export a tenth the size',
          measured: Math.round(peak / MB),
          baseline: Math.round(smallPeak / MB),
          ratio: peak / smallPeak,
          unit: 'MB',
          target: '≤ 1.5 × (flat)',
          pass: peak / smallPeak <= 1.5,
          notes: `reading the file alone peaks at ${Math.round(readPeak / MB)} MB`,
        },
        {
          scenario: 'importing',
          metric: `… into the file-system store (${intoStore.records} records)`,
          measured: Math.round(perSecond),
          baseline: null,
          ratio: null,
          unit: 'records/s',
          target: 'report',
          pass: true,
          notes: `${ms(intoStore.ms)} ms; each record is a file created whole and flushed`,
        },
      ] satisfies Figure[];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
