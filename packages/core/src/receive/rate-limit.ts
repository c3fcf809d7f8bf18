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

/** Documents per scope that the store-kept windows spread over, and ids each keeps: the storage bound. */
export const STORE_RATE_BUCKETS = 4096;
export const STORE_RATE_IDS_PER_BUCKET = 64;

type Bucket = Record<string, number[]>;

/**
 * Sliding-window limits kept in the store, for platforms where each request may be a fresh process
 * (Netlify Functions). Read-modify-write without a lock: concurrent requests may each count one hit
 * short, so this is a brake on floods, not an exact quota; Netlify's per-address rate limit in the
 * function's config is the hard backstop in front of it.
 *
 * The windows live in a fixed number of documents (an id's hash picks its bucket), each pruned of expired
 * windows whenever it is written and holding at most `STORE_RATE_IDS_PER_BUCKET` of them (the least
 * recently hit go first), so a flood of distinct addresses or hosts can't grow the store without bound.
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
    const digest = createHash('sha256').update(id).digest('hex');
    const name = `rate-${scope}-bucket-${(Number.parseInt(digest.slice(0, 8), 16) % STORE_RATE_BUCKETS).toString(36)}`;
    const idKey = digest.slice(8, 32);
    const stored = await this.store.getMeta<Bucket>(name);
    const bucket: Bucket = {};
    // Keep only live windows, well-formed, most recently hit last.
    const live: [string, number[]][] = [];
    if (stored && typeof stored === 'object' && !Array.isArray(stored)) {
      for (const [key, times] of Object.entries(stored)) {
        if (!Array.isArray(times)) continue;
        const recent = times.filter((t) => typeof t === 'number' && now - t < this.windowMs);
        if (recent.length > 0) live.push([key, recent]);
      }
    }
    live.sort((a, b) => a[1][a[1].length - 1]! - b[1][b[1].length - 1]!);
    const mine = live.find(([key]) => key === idKey)?.[1] ?? [];
    if (mine.length >= this.limit) return false;
    mine.push(now);
    const others = live.filter(([key]) => key !== idKey).slice(-(STORE_RATE_IDS_PER_BUCKET - 1));
    for (const [key, times] of others) bucket[key] = times.slice(-this.limit);
    bucket[idKey] = mine.slice(-this.limit);
    await this.store.setMeta(name, bucket);
    return true;
  }
}
