import { createHash } from 'node:crypto';
import type { SharedRateLimiter } from '@pingback/core';
import type { Database } from './database.ts';

/**
 * Sliding-window rate limits in the database, one row per (scope, client address or source host) holding
 * the times of the hits still in the window (never more than the limit). Each decision is one call of
 * `rate_allow`, which reads, decides and counts under the row's lock, so N receivers sharing the
 * database allow exactly what one would. Rows whose window has passed are swept at most once a window per
 * process, so a flood of distinct addresses leaves nothing behind.
 */
export class RateWindows implements SharedRateLimiter {
  private readonly db: Database;
  private readonly limit: number;
  private readonly windowMs: number;
  private lastSweep = 0;

  constructor(db: Database, limit: number, windowMs: number) {
    this.db = db;
    this.limit = limit;
    this.windowMs = windowMs;
  }

  async allow(scope: 'client' | 'source-host', id: string, now: number): Promise<boolean> {
    if (this.limit === 0) return true;
    if (now - this.lastSweep > this.windowMs) {
      this.lastSweep = now;
      // Housekeeping: a failure costs a few stale rows until the next sweep, not this ping.
      this.db.query('sweep rate windows', `delete from ${this.db.S}.rate_windows where touched <= $1`, [now - this.windowMs]).catch(() => {});
    }
    const key = `${scope}-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
    const { rows } = await this.db.query<{ allowed: boolean }>(
      'rate limit',
      `select ${this.db.S}.rate_allow($1, $2, $3, $4) as allowed`,
      [key, now, this.windowMs, this.limit],
    );
    return rows[0]?.allowed === true;
  }
}
