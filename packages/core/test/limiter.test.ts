import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KeyedLimiter } from '../src/net/limiter.ts';
import { VERSION } from '../src/version.ts';

describe('KeyedLimiter', () => {
  it('never exceeds the global or per-key limit and runs everything', async () => {
    const limiter = new KeyedLimiter(3, 2);
    let active = 0;
    let maxActive = 0;
    const perKey = new Map<string, number>();
    const maxPerKey = new Map<string, number>();
    const order: string[] = [];
    const task = (key: string, i: number) =>
      limiter.run(key, async () => {
        active++;
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        maxActive = Math.max(maxActive, active);
        maxPerKey.set(key, Math.max(maxPerKey.get(key) ?? 0, perKey.get(key)!));
        order.push(`${key}${i}`);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        perKey.set(key, perKey.get(key)! - 1);
        return i;
      });
    const results = await Promise.all([...Array(12).keys()].map((i) => task(i < 8 ? 'a' : i < 11 ? 'b' : 'c', i)));
    expect(results).toEqual([...Array(12).keys()]);
    expect(maxActive).toBe(3);
    expect(Math.max(...maxPerKey.values())).toBe(2);
    // Fair turns: "b" and "c" start before "a" has finished its eight.
    expect(order.indexOf('c11')).toBeLessThan(order.indexOf('a7'));
  });

  it("passes a task's rejection through and keeps going", async () => {
    const limiter = new KeyedLimiter(1, 1);
    const failed = limiter.run('k', async () => {
      throw new Error('boom');
    });
    const next = limiter.run('k', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});

it('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect(VERSION).toBe(pkg.version);
});
