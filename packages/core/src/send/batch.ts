import type { ClientOptions, ResolvedClientOptions } from '../net/client-options.ts';
import { resolveClientOptions } from '../net/client-options.ts';
import type { Discovery } from '../pingback/discover.ts';
import { discoverEndpoint } from '../pingback/discover.ts';
import { PingbackOptionError } from '../errors.ts';
import type { Ledger, LedgerEntry, RetryPolicy } from './ledger.ts';
import { DEFAULT_RETRY, decide, nextEntry } from './ledger.ts';
import { KeyedLimiter } from '../net/limiter.ts';
import { checkKnownKeys, checkPositiveInt } from '../option-checks.ts';
import type { PingStatus } from '../outcome.ts';
import type { PingResult } from '../pingback/ping.ts';
import { failureOutcome, sendPingback } from '../pingback/ping.ts';

export interface PingPair {
  source: string;
  target: string;
  /** Hash of the source post's content; lets the ledger notice an edited post. */
  hash?: string;
}

/** The client vocabulary plus what a batch adds: `skipped` (the ledger says no) and `queued` (not live yet). */
export type SendStatus = PingStatus | 'skipped' | 'queued';
export const SEND_STATUSES: readonly SendStatus[] = ['registered', 'already-registered', 'refused', 'retryable', 'no-endpoint', 'skipped', 'queued'];

/** One row per (source, target): what happened in this run. */
export interface SendRow {
  source: string;
  target: string;
  endpoint: string | null;
  status: SendStatus;
  faultCode?: number;
  message: string;
  /** Pings sent for this pair over all runs, as the ledger counts them. */
  attempts: number;
  ms: number;
}

export interface BatchReport {
  rows: SendRow[];
  counts: Record<SendStatus, number>;
  /** Pairs never tried because the time budget ran out: a later run (or a hand-off) owes them. */
  untried: number;
  ms: number;
}

export interface BatchOptions extends ClientOptions {
  /** Pings in flight at once. Default 16. */
  concurrency?: number;
  /** Pings in flight to one host at once. Default 2. */
  perHost?: number;
  /** The whole batch stops starting pings after this long, and cuts the ones in flight. Default 120000. */
  budgetMs?: number;
  ledger?: Ledger;
  retry?: Partial<RetryPolicy>;
  /** Called as each row is final, in completion order. */
  onRow?: (row: SendRow) => void;
}

export const BATCH_DEFAULTS = { concurrency: 16, perHost: 2, budgetMs: 120_000 } as const;

const BATCH_KEYS = ['concurrency', 'perHost', 'budgetMs', 'ledger', 'retry', 'onRow'] as const;

function hostOf(url: string): string {
  return URL.parse(url)?.host ?? url;
}

export function countRows(rows: readonly SendRow[]): Record<SendStatus, number> {
  const counts = Object.fromEntries(SEND_STATUSES.map((s) => [s, 0])) as Record<SendStatus, number>;
  for (const row of rows) counts[row.status]++;
  return counts;
}

/**
 * Pings many (source, target) pairs: each pair once per run, each target discovered once, a global and a
 * per-host concurrency limit, an overall time budget, and every pair isolated from the others' failures.
 * With a ledger, what is done or refused is skipped and only what is due is retried.
 */
export async function sendBatch(pairs: readonly PingPair[], options: BatchOptions = {}): Promise<BatchReport> {
  const clientOnly: Record<string, unknown> = { ...options };
  for (const key of BATCH_KEYS) delete clientOnly[key];
  checkKnownKeys('', options, [...BATCH_KEYS, 'dispatcher', 'site', 'userAgent', 'timeoutMs', 'maxRedirects', 'maxDiscoveryBytes', 'maxReplyBytes', 'lenient', 'clock', 'signal']);
  const concurrency = checkPositiveInt('concurrency', options.concurrency ?? BATCH_DEFAULTS.concurrency);
  const perHost = checkPositiveInt('perHost', options.perHost ?? BATCH_DEFAULTS.perHost);
  const budgetMs = checkPositiveInt('budgetMs', options.budgetMs ?? BATCH_DEFAULTS.budgetMs);
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  checkPositiveInt('retry.maxAttempts', policy.maxAttempts);
  checkPositiveInt('retry.baseDelayMs', policy.baseDelayMs, { allowZero: true });
  checkPositiveInt('retry.maxDelayMs', policy.maxDelayMs, { allowZero: true });
  if (options.onRow !== undefined && typeof options.onRow !== 'function') {
    throw new PingbackOptionError('onRow', 'must be a function', 'Pass a function or leave it out.');
  }

  const budget = new AbortController();
  const signal = options.signal ? AbortSignal.any([budget.signal, options.signal]) : budget.signal;
  const client: ResolvedClientOptions = resolveClientOptions({ ...(clientOnly as ClientOptions), signal });
  const clock = client.clock;
  const started = clock.now();
  const timer = setTimeout(() => budget.abort(), budgetMs);
  timer.unref?.();

  const limiter = new KeyedLimiter(concurrency, perHost);
  const discoveries = new Map<string, Promise<Discovery | Error>>();
  const discover = (target: string) => {
    let pending = discoveries.get(target);
    if (!pending) {
      pending = discoverEndpoint(target, client).catch((error: Error) => error);
      discoveries.set(target, pending);
    }
    return pending;
  };

  const rows: SendRow[] = [];
  const emit = (row: SendRow) => {
    rows.push(row);
    options.onRow?.(row);
  };

  const unique = new Map<string, PingPair>();
  for (const pair of pairs) {
    const key = `${pair.source}\u0000${pair.target}`;
    if (!unique.has(key)) unique.set(key, pair);
  }

  const outOfTime = () => budget.signal.aborted;
  let untried = 0;
  const notTried = (pair: PingPair, previous: LedgerEntry | undefined): SendRow => {
    untried++;
    return {
      source: pair.source,
      target: pair.target,
      endpoint: previous?.endpoint ?? null,
      status: 'retryable',
      message: `not tried: the time budget of ${budgetMs} ms ran out`,
      attempts: previous?.attempts ?? 0,
      ms: 0,
    };
  };

  async function one(pair: PingPair): Promise<void> {
    const bad = [pair.source, pair.target].find((u) => {
      const url = URL.canParse(u) ? new URL(u) : null;
      return !url || (url.protocol !== 'http:' && url.protocol !== 'https:');
    });
    if (bad !== undefined) {
      emit({ source: pair.source, target: pair.target, endpoint: null, status: 'skipped', message: `not an absolute http(s) URL: ${JSON.stringify(String(bad).slice(0, 200))}`, attempts: 0, ms: 0 });
      return;
    }
    const previous = options.ledger ? await options.ledger.get(pair.source, pair.target) : undefined;
    const decision = decide(previous, pair.hash, clock.now(), policy);
    if (!decision.send) {
      emit({ source: pair.source, target: pair.target, endpoint: previous?.endpoint ?? null, status: 'skipped', message: decision.reason, attempts: previous?.attempts ?? 0, ms: 0 });
      return;
    }
    await limiter.run(hostOf(pair.target), async () => {
      if (outOfTime()) {
        emit(notTried(pair, previous));
        return;
      }
      let result: PingResult;
      try {
        const found = await discover(pair.target);
        if (found instanceof Error) {
          const t0 = clock.now();
          const failure = failureOutcome(found);
          result = { source: pair.source, target: pair.target, endpoint: null, via: null, ...failure, message: `discovery failed: ${failure.message}`, ms: clock.now() - t0 };
        } else {
          result = await sendPingback(pair.source, pair.target, client, found);
        }
      } catch (error) {
        // A bug of ours or a hostile reply we did not foresee: this pair fails, the batch goes on.
        result = { source: pair.source, target: pair.target, endpoint: null, via: null, status: 'retryable', message: `internal error: ${(error as Error)?.message ?? String(error)}`.slice(0, 500), ms: 0 };
      }
      if (outOfTime() && result.status === 'retryable') {
        // Cut off by our own budget, not refused by the target: no backoff, nothing recorded. The next run
        // sends it again; if it did arrive, the receiver answers 48 and it is done.
        untried++;
        emit({ source: pair.source, target: pair.target, endpoint: result.endpoint, status: 'retryable', message: `stopped: the time budget of ${budgetMs} ms ran out (${result.message})`.slice(0, 500), attempts: previous?.attempts ?? 0, ms: result.ms });
        return;
      }
      const entry = nextEntry(previous, result, pair.hash, clock.now(), policy);
      await options.ledger?.put(entry);
      const row: SendRow = { source: result.source, target: result.target, endpoint: result.endpoint, status: result.status, message: result.message, attempts: entry.attempts, ms: result.ms };
      if (result.faultCode !== undefined) row.faultCode = result.faultCode;
      emit(row);
    });
  }

  try {
    await Promise.all([...unique.values()].map((pair) => one(pair)));
    await options.ledger?.flush?.();
  } finally {
    clearTimeout(timer);
  }
  return { rows, counts: countRows(rows), untried, ms: Math.max(0, clock.now() - started) };
}
