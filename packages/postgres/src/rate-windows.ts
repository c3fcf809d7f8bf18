import { createHash } from 'node:crypto';
import type { SharedRateLimiter } from '@pingback/core';
import type { Database } from './database.ts';

/**
 * Sliding-window rate limits in the database, one row per (scope, client address or source host) holding
 * the times of the hits still in the window (never more than the limit). Each decision is one call of
 * `rate_allow`, which reads, decides and counts under the row's lock, so N receivers sharing the
 * database allow exactly what one would. Rows whose window has passed are swept at most once a window per
 * process, so a flood of distinct addresses leaves nothing behind.
 *
 * A refusal comes with the time the window frees up, and until then this process refuses that key by
 * itself: hits only ever join a window, so the answer can't change before then. A flood from one
 * client then costs one database call per window, not one per request and a connection held waiting on
 * the row's lock, which under load starved everyone else's pingbacks of connections.
 */
export class RateWindows implements SharedRateLimiter {
  private readonly db: Database;
  private readonly limit: number;
  private readonly windowMs: number;
  private lastSweep = 0;
  /** Keys refused by the database, and until when. Entries are made only by refusals and dropped once past. */
  private readonly refusedUntil = new Map<string, number>();
  /** The call in flight for a key: the next caller for that key waits for it rather than taking a connection to wait on the row. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(db: Database, limit: number, windowMs: number) {
    this.db = db;
    this.limit = limit;
    this.windowMs = windowMs;
  }

  async allow(scope: 'client' | 'source-host', id: string, now: number): Promise<boolean> {
    if (this.limit === 0) return true;
    const key = `${scope}-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
    for (;;) {
      const until = this.refusedUntil.get(key);
      if (until !== undefined && now < until) return false;
      const pending = this.inFlight.get(key);
      if (!pending) break;
      await pending.catch(() => {});
    }
    if (now - this.lastSweep > this.windowMs) {
      this.lastSweep = now;
      for (const [k, t] of this.refusedUntil) if (t <= now) this.refusedUntil.delete(k);
      // Housekeeping: a failure costs a few stale rows until the next sweep, not this ping.
      this.db.query('sweep rate windows', `delete from ${this.db.S}.rate_windows where touched <= $1`, [now - this.windowMs]).catch(() => {});
    }
    const call = this.db.query<{ retry_at: string }>('rate limit', `select ${this.db.S}.rate_allow($1, $2, $3, $4) as retry_at`, [
      key,
      now,
      this.windowMs,
      this.limit,
    ]);
    this.inFlight.set(key, call);
    let rows: Array<{ retry_at: string }>;
    try {
      ({ rows } = await call);
    } finally {
      if (this.inFlight.get(key) === call) this.inFlight.delete(key);
    }
    const retryAt = Number(rows[0]?.retry_at ?? 0);
    if (retryAt === 0) return true;
    this.refusedUntil.set(key, retryAt);
    return false;
  }
}
