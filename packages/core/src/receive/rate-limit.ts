import { createHash } from 'node:crypto';
import type { PingbackStore } from '../store/store.ts';

export type RateScope = 'client' | 'source-host';

/** Decides whether one more ping from this client address or source host fits in its window. */
export interface RateLimiter {
  allow(scope: RateScope, id: string, now: number): Promise<boolean>;
}

export const RATE_WINDOW_MS = 60_000;

/** Windows kept at most by `MemoryRateLimiter`: one per client address or source host seen in the last window. */
export const RATE_LIMITER_MAX_KEYS = 20_000;

/** Ids longer than this (a source host can be kilobytes long) are kept as a hash. */
const MAX_ID = 64;

/**
 * Sliding-window limits kept in memory: exact for a long-lived process (`pingback serve`). The windows are
 * kept in the order they were last hit, so the ones that have expired are swept from the front on every
 * call, and past `maxKeys` windows the least recently hit is forgotten (a flood of more distinct
 * addresses or hosts than that within one window gets a fresh allowance for its oldest, never memory
 * without bound). Long ids are hashed, so a window costs the same whatever the stranger's host name.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;

  constructor(limit: number, windowMs = RATE_WINDOW_MS, maxKeys = RATE_LIMITER_MAX_KEYS) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.maxKeys = maxKeys;
  }

  /** Windows kept now. */
  get size(): number {
    return this.hits.size;
  }

  async allow(scope: RateScope, id: string, now: number): Promise<boolean> {
    if (this.limit === 0) return true;
    this.sweep(now);
    const key = `${scope}\u0000${id.length > MAX_ID ? createHash('sha256').update(id).digest('base64url') : id}`;
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    // Re-inserted at the end: the map stays in the order windows were last hit.
    this.hits.delete(key);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(key, recent);
    for (const oldest of this.hits.keys()) {
      if (this.hits.size <= this.maxKeys) break;
      this.hits.delete(oldest);
    }
    return true;
  }

  private sweep(now: number): void {
    for (const [key, times] of this.hits) {
      if (now - times[times.length - 1]! < this.windowMs) break;
      this.hits.delete(key);
    }
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
