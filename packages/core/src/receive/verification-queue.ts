import { KeyedLimiter } from '../net/limiter.ts';

/** Webmentions accepted and not yet verified (waiting or being verified), at most: past it, 503. */
export const WEBMENTION_QUEUE = 1024;
/** Verifications at once, and at once per source host: a share of the fetcher's 64 turns, not all of them. */
export const WEBMENTION_CONCURRENCY = 16;
export const WEBMENTION_PER_HOST = 4;

export type Submitted = 'queued' | 'coalesced' | 'full';

interface Entry {
  /** `queued`: waiting for a turn; `running`; `again`: a newer Webmention arrived while it ran. */
  state: 'queued' | 'running' | 'again';
  run: () => Promise<void>;
  host: string;
  /** Settles when the pair leaves the queue, reruns included. */
  done: Promise<void>;
}

/**
 * The Webmentions `pingback serve` (or a Function instance) has accepted and still has to verify, in the
 * process itself. Bounded and keyed by what strangers send, so built to stay bounded: at most
 * `WEBMENTION_QUEUE` pairs at once, one entry per (post, source) pair however often it is sent (a
 * Webmention for a pair already waiting joins it; one for a pair being verified makes it run once more
 * afterwards, since the source may have changed after it was fetched), and verified
 * `WEBMENTION_CONCURRENCY` at a time, `WEBMENTION_PER_HOST` per source host, hosts taking turns.
 */
export class VerificationQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly limiter: KeyedLimiter;
  private readonly capacity: number;
  private idleWaiters: (() => void)[] = [];

  constructor(capacity = WEBMENTION_QUEUE, concurrency = WEBMENTION_CONCURRENCY, perHost = WEBMENTION_PER_HOST) {
    this.capacity = capacity;
    this.limiter = new KeyedLimiter(concurrency, perHost);
  }

  /** Pairs waiting or being verified. */
  get size(): number {
    return this.entries.size;
  }

  /** Whether a Webmention for the pair would be taken now: it is already there, or there is room. */
  takes(id: string): boolean {
    return this.entries.has(id) || this.entries.size < this.capacity;
  }

  /**
   * Queues `run` for the pair `id` unless the pair is already there (`coalesced`) or the queue is full.
   * The latest `run` given for a pair is the one that runs next. Returns the promise of this pair's
   * verification settling, for `waitUntil`.
   */
  submit(id: string, host: string, run: () => Promise<void>): { submitted: Submitted; done: Promise<void> } {
    const entry = this.entries.get(id);
    if (entry) {
      entry.run = run;
      if (entry.state === 'running') entry.state = 'again';
      return { submitted: 'coalesced', done: entry.done };
    }
    if (this.entries.size >= this.capacity) return { submitted: 'full', done: Promise.resolve() };
    const created: Entry = { state: 'queued', run, host, done: Promise.resolve() };
    this.entries.set(id, created);
    created.done = this.start(id, created);
    return { submitted: 'queued', done: created.done };
  }

  private start(id: string, entry: Entry): Promise<void> {
    return this.limiter
      .run(entry.host, async () => {
        entry.state = 'running';
        try {
          await entry.run();
        } catch {
          // The verification logs its own failures; one that throws must not stop the queue.
        }
      })
      .then(() => {
        if (entry.state === 'again') {
          entry.state = 'queued';
          return this.start(id, entry);
        }
        this.entries.delete(id);
        if (this.entries.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
        return undefined;
      });
  }

  /** Resolves when nothing waits or runs. */
  idle(): Promise<void> {
    if (this.entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
