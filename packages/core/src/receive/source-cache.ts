import { TransportError } from '../errors.ts';
import type { HttpResponse } from '../net/http-request.ts';

type Outcome = { ok: true; response: HttpResponse } | { ok: false; error: unknown };

interface Entry {
  at: number;
  /** What the entry holds: its key and, once fetched, the body. */
  bytes: number;
  outcome: Promise<Outcome>;
}

export interface SourceCacheLimits {
  /** How long a fetch (or a refusal) is remembered. */
  ttlMs: number;
  /** Sources remembered at most. */
  maxEntries: number;
  /** Bytes of keys and bodies remembered at most. */
  maxBytes: number;
}

export const SOURCE_CACHE_LIMITS: SourceCacheLimits = { ttlMs: 60_000, maxEntries: 1000, maxBytes: 16 * 1024 * 1024 };

/** A key's cost beyond its characters: the map entry, the promise and the outcome. */
const ENTRY_OVERHEAD = 200;

/**
 * Remembers each source fetch for a short window, keyed by source URL, and shares one fetch between
 * concurrent pings: a flood of pings naming one source (to many targets) costs that source one request
 * per window, so the receiver can't be used to hammer it.
 *
 * Everything a stranger sends becomes a key here, refused sources included, so the cache is bounded three
 * ways: entries older than the window are swept on every call (the map is in the order entries were made,
 * so the sweep stops at the first live one), and past `maxEntries` entries or `maxBytes` of keys and bodies
 * the oldest go first.
 */
export class SourceCache {
  private readonly entries = new Map<string, Entry>();
  private readonly limits: SourceCacheLimits;
  private bytes = 0;

  constructor(limits: Partial<SourceCacheLimits> = {}) {
    this.limits = { ...SOURCE_CACHE_LIMITS, ...limits };
  }

  /** Sources remembered now. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes of keys and bodies remembered now. */
  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * The source's response: the one remembered if it is fresh, else a new fetch. `notBefore` asks for a
   * response fetched no earlier than that time: a Webmention that updates a stored one says the source
   * changed, so an older copy won't do (concurrent asks still share one fetch).
   */
  async get(source: string, now: number, fetch: () => Promise<HttpResponse>, notBefore?: number): Promise<HttpResponse> {
    this.sweep(now);
    const cached = this.entries.get(source);
    let entry: Entry;
    if (cached && now - cached.at < this.limits.ttlMs && (notBefore === undefined || cached.at >= notBefore)) entry = cached;
    else {
      if (cached) this.drop(source, cached);
      entry = {
        at: now,
        bytes: source.length + ENTRY_OVERHEAD,
        outcome: fetch().then(
          (response) => ({ ok: true, response }),
          (error: unknown) => ({ ok: false, error }),
        ),
      };
      this.entries.set(source, entry);
      this.bytes += entry.bytes;
      this.evict();
      void entry.outcome.then((o) => {
        if (this.entries.get(source) !== entry) return;
        // "Too busy to fetch" says nothing about the source: the next ping tries again.
        if (!o.ok && o.error instanceof TransportError && o.error.kind === 'busy') return this.drop(source, entry);
        const body = o.ok ? o.response.body.byteLength : 0;
        entry.bytes += body;
        this.bytes += body;
        this.evict();
      });
    }
    const outcome = await entry.outcome;
    if (outcome.ok) return outcome.response;
    throw outcome.error;
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  /** Drops the entries whose window has passed: the oldest come first. */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.at < this.limits.ttlMs) break;
      this.drop(key, entry);
    }
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.drop(key, entry);
    }
  }
}
