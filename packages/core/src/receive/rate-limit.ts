import { createHash } from 'node:crypto';
import type { PingbackStore } from '../store/store.ts';

export type RateScope = 'client' | 'source-host';

/** Decides whether one more ping from this client address or source host fits in its window. */
export interface RateLimiter {
  allow(scope: RateScope, id: string, now: number): Promise<boolean>;
}

export const RATE_WINDOW_MS = 60_000;

/**
 * Sliding-window limits kept in memory: exact for a long-lived process (`pingback serve`). Idle entries
 * are dropped so the map can't grow without bound under a flood of distinct addresses.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private readonly limit: number;
  private readonly windowMs: number;
  private lastSweep = 0;

  constructor(limit: number, windowMs = RATE_WINDOW_MS) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  async allow(scope: RateScope, id: string, now: number): Promise<boolean> {
    if (this.limit === 0) return true;
    if (now - this.lastSweep > this.windowMs) this.sweep(now);
    const key = `${scope}\u0000${id}`;
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(key, recent);
    return true;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, times] of this.hits) if (times.every((t) => now - t >= this.windowMs)) this.hits.delete(key);
  }
}

/**
 * Sliding-window limits kept in the store, for platforms where each request may be a fresh process
 * (Netlify Functions). Read-modify-write without a lock: concurrent requests may each count one hit
 * short, so this is a brake on floods, not an exact quota; Netlify's per-address rate limit in the
 * function's config is the hard backstop in front of it.
 */
export class StoreRateLimiter implements RateLimiter {
  private readonly store: PingbackStore;
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(store: PingbackStore, limit: number, windowMs = RATE_WINDOW_MS) {
    this.store = store;
    this.limit = limit;
    this.windowMs = windowMs;
  }

  async allow(scope: RateScope, id: string, now: number): Promise<boolean> {
    if (this.limit === 0) return true;
    const name = `rate-${scope}-${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
    const stored = (await this.store.getMeta<number[]>(name)) ?? [];
    const recent = (Array.isArray(stored) ? stored : []).filter((t) => typeof t === 'number' && now - t < this.windowMs);
    if (recent.length >= this.limit) return false;
    recent.push(now);
    await this.store.setMeta(name, recent);
    return true;
  }
}
