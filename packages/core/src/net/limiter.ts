/** `KeyedLimiter.run` when `maxWaiting` tasks already wait: the caller should answer "try again later". */
export class LimiterFullError extends Error {
  override readonly name = 'LimiterFullError';
}

/**
 * Runs tasks with a global concurrency limit and a per-key (per-host) limit, fairly: hosts with work
 * waiting take turns, so one host with a thousand links can't starve the rest. Its maps hold only keys
 * with work running or waiting, and at most `maxWaiting` tasks wait: a flood is refused, not queued
 * without bound.
 */
export class KeyedLimiter {
  private readonly global: number;
  private readonly perKey: number;
  private readonly maxWaiting: number;
  private waitingCount = 0;
  private active = 0;
  private readonly activeByKey = new Map<string, number>();
  private readonly pending = new Map<string, (() => void)[]>();
  /** Keys with waiting tasks and a free per-key slot, in turn order. */
  private readonly ready: string[] = [];
  private readonly isReady = new Set<string>();

  constructor(global: number, perKey: number, maxWaiting = Number.POSITIVE_INFINITY) {
    this.global = global;
    this.perKey = perKey;
    this.maxWaiting = maxWaiting;
  }

  /** Tasks waiting for a turn. */
  get waiting(): number {
    return this.waitingCount;
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    if (this.waitingCount >= this.maxWaiting) return Promise.reject(new LimiterFullError(`${this.waitingCount} tasks already wait`));
    this.waitingCount++;
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.waitingCount--;
        task()
          .then(resolve, reject)
          .finally(() => this.release(key));
      };
      const queue = this.pending.get(key);
      if (queue) queue.push(start);
      else this.pending.set(key, [start]);
      this.markReady(key);
      this.pump();
    });
  }

  private markReady(key: string): void {
    if (this.isReady.has(key)) return;
    if ((this.activeByKey.get(key) ?? 0) >= this.perKey) return;
    if (!this.pending.get(key)?.length) return;
    this.isReady.add(key);
    this.ready.push(key);
  }

  private pump(): void {
    while (this.active < this.global && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.isReady.delete(key);
      const queue = this.pending.get(key)!;
      const start = queue.shift()!;
      if (queue.length === 0) this.pending.delete(key);
      this.active++;
      this.activeByKey.set(key, (this.activeByKey.get(key) ?? 0) + 1);
      this.markReady(key);
      start();
    }
  }

  private release(key: string): void {
    this.active--;
    const left = (this.activeByKey.get(key) ?? 1) - 1;
    if (left === 0) this.activeByKey.delete(key);
    else this.activeByKey.set(key, left);
    this.markReady(key);
    this.pump();
  }
}
