import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Figure } from '../bench/harness.ts';
import { SCENARIOS } from '../bench/scenarios/index.ts';
import { ROOT } from './support/pack.ts';

// `pnpm bench --smoke`: every scenario on small inputs, to prove the harness and its correctness checks
// work. Timings on a loaded test machine mean nothing, so none is asserted here; `pnpm bench` is for them.
let dir: string;
let output = '';
let figures: Figure[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-bench-smoke-'));
  const out = join(dir, 'smoke.json');
  const child = spawn(process.execPath, ['bench/run.ts', '--smoke', `--out=${out}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  figures = (JSON.parse(await readFile(out, 'utf8')) as { figures: Figure[] }).figures;
}, 240_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const figure = (scenario: string, metric: RegExp) => {
  const found = figures.find((f) => f.scenario === scenario && metric.test(f.metric));
  if (!found) throw new Error(`no figure ${scenario} / ${metric}; output:\n${output}`);
  return found;
};

describe('pnpm bench --smoke', () => {
  it('runs every scenario to the end, with figures measured against baselines', () => {
    expect(figures.filter((f) => f.metric === 'error')).toEqual([]);
    for (const s of SCENARIOS) expect(output).toContain(`▶ ${s.name}:`);
    expect(new Set(figures.map((f) => f.scenario)).size).toBe(SCENARIOS.length);
    for (const f of figures) {
      expect(Number.isFinite(f.measured)).toBe(true);
      if (f.baseline !== null) expect(Number.isFinite(f.ratio)).toBe(true);
    }
  });

  it('prints the table and says where the JSON went', () => {
    expect(output).toMatch(/scenario\s+metric\s+measured\s+baseline\s+ratio\s+target\s+result/);
    expect(output).toMatch(/figures on target; .*smoke\.json/);
  });

  it('loses or doubles no pingback under concurrent load, and answers the hostile sources with their faults', () => {
    expect(figure('receiving', /^records lost \/ doubled/)).toMatchObject({ measured: 0, pass: true });
    expect(figure('receiving', /^Webmention records lost \/ doubled/)).toMatchObject({ measured: 0, pass: true });
    expect(figure('receiving', /Webmentions verified/).pass).toBe(true);
    expect(figure('receiving', /200 MB source/).notes).toBe('answered fault 17');
    expect(figure('receiving', /1 byte\/s source/).notes).toBe('answered fault 16');
  });

  it('receives over PostgreSQL beside the file store with nothing lost or doubled, and reads back from it', () => {
    expect(figure('postgres', /records lost \/ doubled/)).toMatchObject({ measured: 0, pass: true });
    expect(figure('postgres', /PostgreSQL \/ file store/).baseline).toBeGreaterThan(0);
    expect(figure('postgres', /reading .* at build: PostgreSQL/).ratio).toBeGreaterThan(0);
  });

  it('sends nothing the second time against the same ledger', () => {
    expect(figure('sending', /second run/)).toMatchObject({ measured: 0, pass: true });
  });

  it('finds both endpoints of a target with one fetch', () => {
    expect(figure('sending', /fetches per target/)).toMatchObject({ measured: 1, pass: true });
  });

  it('reads back through the endpoint with a handful of Blobs requests, not one per pingback', () => {
    const requests = figure('reading', /Blobs requests/);
    expect(requests.pass).toBe(true);
    // The smoke run reads 510 records: 16 listing shards, the snapshot, the 10 new records, the save.
    expect(requests.measured).toBeLessThan(40);
  });

  it('measures the emitted Function against a trivial one', () => {
    expect(figure('function', /bundle size/).measured).toBeGreaterThan(figure('function', /bundle size/).baseline!);
    // What every cold start loads of the pre-bundled runtime is a fraction of the whole.
    expect(figure('function', /runtime size: function\.js/).measured).toBeLessThan(figure('function', /bundle size/).measured / 4);
  });
});
