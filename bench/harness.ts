/** One line of the results table. */
export interface Figure {
  scenario: string;
  metric: string;
  measured: number;
  baseline: number | null;
  /** measured ÷ baseline, or the figure that is compared with the target. */
  ratio: number | null;
  unit: string;
  target: string;
  pass: boolean;
  notes?: string;
}

export interface Scenario {
  name: string;
  summary: string;
  run(options: { smoke: boolean; log: (line: string) => void }): Promise<Figure[]>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Runs baseline and subject alternately, `rounds` times each, so drift on a shared machine hits both
 * alike, and returns the median duration of each in ms. `prepare` runs before every timed run, untimed.
 */
export async function alternate(
  rounds: number,
  baseline: () => Promise<unknown>,
  subject: () => Promise<unknown>,
  prepare: (which: 'baseline' | 'subject') => Promise<unknown> = async () => {},
): Promise<{ baseline: number; subject: number; baselineRuns: number[]; subjectRuns: number[] }> {
  const b: number[] = [];
  const s: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const which of r % 2 === 0 ? ['b', 's'] : ['s', 'b']) {
      await prepare(which === 'b' ? 'baseline' : 'subject');
      const started = performance.now();
      await (which === 'b' ? baseline() : subject());
      (which === 'b' ? b : s).push(performance.now() - started);
    }
  }
  return { baseline: median(b), subject: median(s), baselineRuns: b, subjectRuns: s };
}

/** The middle half of the values: the first and third quartiles (linear interpolation). */
export function quartiles(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const i = (sorted.length - 1) * q;
    const lo = Math.floor(i);
    return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (i - lo);
  };
  return [at(0.25), at(0.75)];
}

/**
 * A bootstrap 95 % confidence interval of the median: the median of 2,000 resamples (with replacement),
 * their 2.5th and 97.5th percentiles. Seeded, so that the same runs give the same interval.
 */
export function medianInterval(values: readonly number[], resamples = 2000): [number, number] {
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const medians: number[] = [];
  for (let r = 0; r < resamples; r++) medians.push(median(Array.from(values, () => values[Math.floor(random() * values.length)]!)));
  return [percentile(medians, 2.5), percentile(medians, 97.5)];
}

const round = (n: number | null, digits = 2) => (n === null ? '' : Number.isInteger(n) ? String(n) : n.toFixed(digits));

export function table(figures: readonly Figure[]): string {
  const rows = [['scenario', 'metric', 'measured', 'baseline', 'ratio', 'target', 'result']];
  for (const f of figures) {
    rows.push([
      f.scenario,
      f.metric,
      `${round(f.measured)} ${f.unit}`.trim(),
      f.baseline === null ? '' : `${round(f.baseline)} ${f.unit}`.trim(),
      round(f.ratio),
      f.target,
      f.pass ? 'pass' : 'FAIL',
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r, i) => `${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}${i === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : ''}`)
    .join('\n');
}

/** Resident set size of a process, in bytes, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** CPU time a process has used so far (user + system, all its threads), in ms, from /proc (Linux). */
export async function cpuOf(pid: number): Promise<number> {
  const { user, system } = await cpuSplitOf(pid);
  return user + system;
}

/** User and system CPU time of a process so far, in ms. */
export async function cpuSplitOf(pid: number): Promise<{ user: number; system: number }> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}
