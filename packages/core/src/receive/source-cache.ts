import type { HttpResponse } from '../net/http-request.ts';

type Outcome = { ok: true; response: HttpResponse } | { ok: false; error: unknown };

interface Entry {
  at: number;
  bytes: number;
  outcome: Promise<Outcome>;
}

/**
 * Remembers each source fetch for a short window, keyed by source URL, and shares one fetch between
 * concurrent pings: a flood of pings naming one source (to many targets) costs that source one request
 * per window, so the receiver can't be used to hammer it. Bounded by total bytes.
 */
export class SourceCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxBytes: number;
  private bytes = 0;

  constructor(ttlMs = 60_000, maxBytes = 16 * 1024 * 1024) {
    this.ttlMs = ttlMs;
    this.maxBytes = maxBytes;
  }

  async get(source: string, now: number, fetch: () => Promise<HttpResponse>): Promise<HttpResponse> {
    const cached = this.entries.get(source);
    let entry: Entry;
    if (cached && now - cached.at < this.ttlMs) entry = cached;
    else {
      if (cached) this.drop(source, cached);
      entry = {
        at: now,
        bytes: 0,
        outcome: fetch().then(
          (response) => ({ ok: true, response }),
          (error: unknown) => ({ ok: false, error }),
        ),
      };
      this.entries.set(source, entry);
      void entry.outcome.then((o) => {
        if (this.entries.get(source) !== entry) return;
        entry.bytes = o.ok ? o.response.body.byteLength : 0;
        this.bytes += entry.bytes;
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

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(key, entry);
    }
  }
}
