/**
 * pnpm bench [scenario…] [--smoke] [--out=FILE]: runs the benchmark scenarios, prints one table (scenario,
 * measured, baseline, ratio, target, pass/fail) and writes the same figures as JSON under bench/results/
 * (or to FILE).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import type { Figure, Scenario } from './harness.ts';
import { table } from './harness.ts';
import { SCENARIOS } from './scenarios/index.ts';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const out = args.find((a) => a.startsWith('--out='))?.slice('--out='.length);
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const chosen: Scenario[] = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;

const figures: Figure[] = [];
const started = Date.now();
for (const scenario of chosen) {
  const t = Date.now();
  console.log(`▶ ${scenario.name}: ${scenario.summary}`);
  try {
    figures.push(...(await scenario.run({ smoke, log: (line) => console.log(`  ${line}`) })));
  } catch (error) {
    figures.push({
      scenario: scenario.name,
      metric: 'error',
      measured: 0,
      baseline: null,
      ratio: null,
      unit: '',
      target: 'runs',
      pass: false,
      notes: (error as Error).stack ?? String(error),
    });
    console.error(`  failed: ${(error as Error).stack}`);
  }
  console.log(`  done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
console.log(`\n${table(figures)}\n`);
for (const f of figures) if (f.notes) console.log(`${f.scenario} / ${f.metric}: ${f.notes}`);

const result = {
  at: new Date().toISOString(),
  smoke,
  machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  seconds: Math.round((Date.now() - started) / 1000),
  figures,
};
const json = `${JSON.stringify(result, null, 2)}\n`;
let written: string;
if (out) {
  await writeFile(out, json);
  written = out;
} else {
  const dir = new URL('./results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const name = `${result.at.replace(/[:.]/g, '-')}${smoke ? '-smoke' : ''}.json`;
  await writeFile(new URL(name, dir), json);
  await writeFile(new URL(`latest${smoke ? '-smoke' : ''}.json`, dir), json);
  written = `bench/results/${name}`;
}
console.log(`\n${figures.filter((f) => f.pass).length} of ${figures.length} figures on target; ${written}; ${result.seconds} s in all`);
process.exitCode = figures.every((f) => f.pass) ? 0 : 1;
