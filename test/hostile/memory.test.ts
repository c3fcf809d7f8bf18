import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FLOOD = fileURLToPath(new URL('./support/flood-memory.ts', import.meta.url));
const MB = 1024 * 1024;

interface Flood {
  before: number;
  flooded: number;
  after: number;
  during: { cache: number; cacheBytes: number; windows: number };
  afterSizes: { cache: number; cacheBytes: number; windows: number };
  faults: Record<string, number>;
  urlBytes: number;
}

function flood(): Promise<Flood> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', FLOOD, '10000', '6000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Flood) : reject(new Error(`flood-memory.ts exited ${code}: ${err}`))));
  });
}

describe('memory under a flood of distinct refused sources', () => {
  it('holds the source cache and rate-limit windows to their bounds, and gives the memory back once they expire', async () => {
    const r = await flood();
    // Every ping was refused as its source could not be retrieved (a private address), none stored.
    expect(r.faults).toEqual({ 16: 10_002 });
    // 10,000 URLs of 6 KB each went in: 57 MiB of keys if they were all kept.
    expect(r.urlBytes).toBe(60_000_000);
    expect(r.during.cache).toBeLessThanOrEqual(1000);
    expect(r.during.cacheBytes).toBeLessThanOrEqual(16 * MB);
    expect(r.during.windows).toBeLessThanOrEqual(20_000);
    expect(r.flooded - r.before).toBeLessThan(24 * MB);
    // Once the windows have passed, one more ping sweeps everything but its own entries.
    expect(r.afterSizes).toMatchObject({ cache: 1, windows: 2 });
    expect(r.after - r.before).toBeLessThan(4 * MB);
    console.log(
      `heap: ${(r.before / MB).toFixed(1)} MB before, +${((r.flooded - r.before) / MB).toFixed(1)} MB after 10,000 refused sources, +${((r.after - r.before) / MB).toFixed(1)} MB once swept; cache ${r.during.cache} entries / ${(r.during.cacheBytes / MB).toFixed(1)} MB, ${r.during.windows} windows`,
    );
  }, 120_000);
});
