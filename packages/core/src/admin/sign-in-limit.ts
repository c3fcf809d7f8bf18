import { createHash } from 'node:crypto';
import { parseIPv6 } from '../net/ip-address.ts';
import type { PingbackStore } from '../store/store.ts';

/** Failed sign-ins a client may make in the window before it must wait. */
export const SIGN_IN_FAILURES = 5;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;
/** Clients the in-memory limiter remembers at most; past it the least recently failed is forgotten. */
export const SIGN_IN_MAX_CLIENTS = 10_000;

/** Counts failed sign-ins per client in a sliding window. */
export interface SignInLimiter {
  /** When the client may try again (ms since the epoch), or null if it may now. */
  lockedUntil(client: string, now: number): Promise<number | null>;
  /** Records one failure. */
  fail(client: string, now: number): Promise<void>;
}

/**
 * Who a failure counts against: an IPv4 address, or an IPv6 address's /64 (one host is usually given
 * a whole /64, so counting single addresses would give it billions of tries), hashed to a fixed size.
 */
export function signInClient(address: string | undefined): string {
  let id = address ?? 'unknown';
  const v6 = address?.includes(':') ? parseIPv6(address) : null;
  if (v6 !== null && v6 !== undefined) id = `v6/${(v6 >> 64n).toString(16)}`;
  return createHash('sha256').update(id).digest('base64url').slice(0, 22);
}

function lockFrom(times: readonly number[], now: number): number | null {
  const recent = times.filter((t) => now - t < SIGN_IN_WINDOW_MS);
  return recent.length >= SIGN_IN_FAILURES ? recent[recent.length - SIGN_IN_FAILURES]! + SIGN_IN_WINDOW_MS : null;
}

/** For a long-lived process (`pingback serve`): bounded, least recently failed forgotten first, swept as it goes. */
export class MemorySignInLimiter implements SignInLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxClients: number;

  constructor(maxClients = SIGN_IN_MAX_CLIENTS) {
    this.maxClients = maxClients;
  }

  get size(): number {
    return this.failures.size;
  }

  async lockedUntil(client: string, now: number): Promise<number | null> {
    this.sweep(now);
    return lockFrom(this.failures.get(signInClient(client)) ?? [], now);
  }

  async fail(client: string, now: number): Promise<void> {
    this.sweep(now);
    const key = signInClient(client);
    const times = (this.failures.get(key) ?? []).filter((t) => now - t < SIGN_IN_WINDOW_MS).slice(-(SIGN_IN_FAILURES - 1));
    times.push(now);
    this.failures.delete(key);
    this.failures.set(key, times);
    for (const oldest of this.failures.keys()) {
      if (this.failures.size <= this.maxClients) break;
      this.failures.delete(oldest);
    }
  }

  private sweep(now: number): void {
    for (const [key, times] of this.failures) {
      if (now - times[times.length - 1]! < SIGN_IN_WINDOW_MS) break;
      this.failures.delete(key);
    }
  }
}

/** Documents the store-kept failures spread over, and clients each keeps: the storage bound. */
export const SIGN_IN_BUCKETS = 256;
const CLIENTS_PER_BUCKET = 64;

/**
 * For platforms where each request may be a fresh process (Netlify Functions): failures kept in the
 * store, in a fixed number of documents each pruned when written. Read-modify-write without a lock, so
 * two failures at once may count as one: a brake, with the token's length doing the real work.
 */
export class StoreSignInLimiter implements SignInLimiter {
  private readonly store: PingbackStore;

  constructor(store: PingbackStore) {
    this.store = store;
  }

  private static bucket(key: string): string {
    return `admin-sign-in-${(createHash('sha256').update(key).digest().readUInt16BE(0) % SIGN_IN_BUCKETS).toString(36)}`;
  }

  private async read(name: string, now: number): Promise<Record<string, number[]>> {
    const stored = await this.store.getMeta<unknown>(name);
    const out: Record<string, number[]> = {};
    if (stored && typeof stored === 'object' && !Array.isArray(stored)) {
      for (const [key, times] of Object.entries(stored)) {
        if (!Array.isArray(times)) continue;
        const recent = times.filter((t): t is number => typeof t === 'number' && now - t < SIGN_IN_WINDOW_MS);
        if (recent.length) out[key] = recent.slice(-SIGN_IN_FAILURES);
      }
    }
    return out;
  }

  async lockedUntil(client: string, now: number): Promise<number | null> {
    const key = signInClient(client);
    return lockFrom((await this.read(StoreSignInLimiter.bucket(key), now))[key] ?? [], now);
  }

  async fail(client: string, now: number): Promise<void> {
    const key = signInClient(client);
    const name = StoreSignInLimiter.bucket(key);
    const bucket = await this.read(name, now);
    const mine = [...(bucket[key] ?? []), now].slice(-SIGN_IN_FAILURES);
    delete bucket[key];
    const kept = Object.entries(bucket)
      .sort((a, b) => a[1][a[1].length - 1]! - b[1][b[1].length - 1]!)
      .slice(-(CLIENTS_PER_BUCKET - 1));
    await this.store.setMeta(name, { ...Object.fromEntries(kept), [key]: mine });
  }
}
