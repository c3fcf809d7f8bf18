import type { ClientOptions, ResolvedClientOptions } from '../net/client-options.ts';
import { resolveClientOptions } from '../net/client-options.ts';
import { PingbackOptionError, TransportError } from '../errors.ts';
import type { Ledger, LedgerEntry, RetryPolicy } from './ledger.ts';
import { DEFAULT_RETRY, decide, decideDeleted, nextEntry } from './ledger.ts';
import type { HttpTransport } from '../net/http-request.ts';
import { KeyedLimiter } from '../net/limiter.ts';
import { checkKnownKeys, checkPositiveInt } from '../option-checks.ts';
import type { PingStatus } from '../outcome.ts';
import { failureOutcome } from '../pingback/ping.ts';
import { callXmlRpc } from '../pingback/xmlrpc-call.ts';
import { postWebmention } from '../webmention/send.ts';
import type { EndpointsDiscovery } from './discover-endpoints.ts';
import { chooseEndpoint, discoverEndpoints, noEndpointReason } from './discover-endpoints.ts';
import type { ProtocolOptions, ResolvedProtocols, SendProtocol } from './protocols.ts';
import { resolveProtocols } from './protocols.ts';
import type { SendPolicyOptions } from './sender-guard.ts';
import { SEND_POLICY_KEYS, forbiddenMessage, isForbidden, senderGuard } from './sender-guard.ts';

export interface PingPair {
  source: string;
  target: string;
  /** Hash of the source post's links; lets the ledger notice an edited post. */
  hash?: string;
  /** Hash of the source post's content: an edit resends a Webmention (§3.1.4). */
  contentHash?: string;
  /**
   * Why this pair is sent besides being a link of the post: `removed`, the post no longer links to the
   * target (the update tells the receiver, §3.1.4); `deleted`, the post is gone (§3.1.5). Both go by
   * Webmention only: Pingback can't take a link back.
   */
  why?: 'removed' | 'deleted';
}

/** The client vocabulary plus what a batch adds: `skipped` (the ledger says no) and `queued` (not live yet). */
export type SendStatus = PingStatus | 'skipped' | 'queued';
export const SEND_STATUSES: readonly SendStatus[] = ['registered', 'already-registered', 'refused', 'retryable', 'no-endpoint', 'skipped', 'queued'];

/** One row per (source, target): what happened in this run. */
export interface SendRow {
  source: string;
  target: string;
  /** The protocol it went (or, for `skipped` rows, last went) by; null when none was chosen. */
  protocol: SendProtocol | null;
  endpoint: string | null;
  status: SendStatus;
  faultCode?: number;
  /** The Webmention endpoint's HTTP status. */
  httpStatus?: number;
  /** A Webmention answered 201 Created: the receiver's status page. */
  location?: string;
  message: string;
  /** Pings sent for this pair over all runs, as the ledger counts them. */
  attempts: number;
  ms: number;
  /** Set on the rows of `removed` and `deleted` pairs. */
  why?: 'removed' | 'deleted';
}

export interface BatchReport {
  rows: SendRow[];
  counts: Record<SendStatus, number>;
  /** Pairs never tried because the time budget ran out: a later run (or a hand-off) owes them. */
  untried: number;
  ms: number;
}

export interface BatchOptions extends ClientOptions, SendPolicyOptions {
  /** Pings in flight at once. Default 64 (see `BATCH_DEFAULTS`). */
  concurrency?: number;
  /** Pings in flight to one host at once. Default 2. */
  perHost?: number;
  /** The whole batch stops starting pings after this long, and cuts the ones in flight. Default 120000. */
  budgetMs?: number;
  ledger?: Ledger;
  retry?: Partial<RetryPolicy>;
  /** Which protocols may be used and which wins where a target offers both. Default: both, Webmention first. */
  protocols?: ProtocolOptions;
  /** Called as each row is final, in completion order. */
  onRow?: (row: SendRow) => void;
}

/**
 * `concurrency` 64: a post's usual outbox (5–50 links) goes out in one round, so the deploy-succeeded
 * handler's 20 s is spent waiting on the slowest target, not on four rounds of them; a first deploy of an
 * imported blog (thousands of pairs) fits one background Function run. Above 64 nothing is gained: the
 * guarded fetcher lets 64 exchanges out at once (`SOURCE_CONCURRENCY`). `perHost` 2 keeps each receiver's
 * load what it was.
 */
export const BATCH_DEFAULTS = { concurrency: 64, perHost: 2, budgetMs: 120_000 } as const;

const BATCH_KEYS = ['concurrency', 'perHost', 'budgetMs', 'ledger', 'retry', 'protocols', 'onRow', ...SEND_POLICY_KEYS] as const;
const CLIENT_KEYS = [
  'dispatcher',
  'site',
  'userAgent',
  'timeoutMs',
  'maxRedirects',
  'maxDiscoveryBytes',
  'maxReplyBytes',
  'lenient',
  'clock',
  'signal',
] as const;

function hostOf(url: string): string {
  return URL.parse(url)?.host ?? url;
}

/** What one send came to, before it becomes a row and a ledger entry. */
interface Result {
  protocol: SendProtocol | null;
  endpoint: string | null;
  status: PingStatus;
  faultCode?: number;
  httpStatus?: number;
  location?: string;
  message: string;
  ms: number;
}

const short = (text: string) => (text.length > 500 ? `${text.slice(0, 499)}…` : text);

/** Sends by the chosen protocol; every network outcome is a result, the guard's refusals final. */
async function deliver(
  source: string,
  target: string,
  found: EndpointsDiscovery,
  protocols: ResolvedProtocols,
  client: ResolvedClientOptions,
  transport: HttpTransport,
): Promise<Omit<Result, 'ms'>> {
  const chosen = chooseEndpoint(found, protocols);
  if (!chosen) return { protocol: null, endpoint: null, status: 'no-endpoint', message: short(noEndpointReason(found, protocols)) };
  const { protocol, endpoint } = chosen;
  try {
    if (protocol === 'webmention') return { protocol, endpoint, ...(await postWebmention(endpoint, source, target, client, transport)) };
    const reply = await callXmlRpc(endpoint, 'pingback.ping', [source, target], client, transport);
    const text = typeof reply === 'string' ? reply : (JSON.stringify(reply) ?? '');
    return { protocol, endpoint, status: 'registered', message: short(text.replace(/\s+/g, ' ').trim() || 'registered') };
  } catch (error) {
    if (isForbidden(error))
      return { protocol, endpoint, status: 'refused', message: forbiddenMessage(error, `${protocol === 'webmention' ? 'Webmention' : 'Pingback'} endpoint`) };
    return { protocol, endpoint, ...failureOutcome(error) };
  }
}

export function countRows(rows: readonly SendRow[]): Record<SendStatus, number> {
  const counts = Object.fromEntries(SEND_STATUSES.map((s) => [s, 0])) as Record<SendStatus, number>;
  for (const row of rows) counts[row.status]++;
  return counts;
}

/**
 * Sends many (source, target) pairs: each pair once per run, each target discovered once (one GET finds
 * both its Webmention and its Pingback endpoint), a Webmention where the target offers one, else a
 * pingback (see `protocols`), a global and a per-host concurrency limit, an overall time budget, and every
 * pair isolated from the others' failures. Nothing on a loopback, private or reserved address is
 * contacted unless `allowPrivateNetwork`. With a ledger, what is done or refused is skipped and only what
 * is due is retried.
 */
export async function sendBatch(pairs: readonly PingPair[], options: BatchOptions = {}): Promise<BatchReport> {
  const clientOnly: Record<string, unknown> = { ...options };
  for (const key of BATCH_KEYS) delete clientOnly[key];
  checkKnownKeys('', options, [...BATCH_KEYS, ...CLIENT_KEYS]);
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
  const protocols = resolveProtocols(options.protocols);

  const budget = new AbortController();
  const signal = options.signal ? AbortSignal.any([budget.signal, options.signal]) : budget.signal;
  const client: ResolvedClientOptions = resolveClientOptions({ ...(clientOnly as ClientOptions), signal });
  const guard = senderGuard(options, client);
  const clock = client.clock;
  const started = clock.now();
  const timer = setTimeout(() => budget.abort(), budgetMs);
  timer.unref?.();

  const limiter = new KeyedLimiter(concurrency, perHost);
  const discoveries = new Map<string, Promise<EndpointsDiscovery | Error>>();
  const discover = (target: string) => {
    let pending = discoveries.get(target);
    if (!pending) {
      pending = discoverEndpoints(target, client, guard.transport).catch((error: Error) => error);
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
  const row = (pair: PingPair, fields: Omit<SendRow, 'source' | 'target'>): SendRow => ({
    source: pair.source,
    target: pair.target,
    ...fields,
    ...(pair.why ? { why: pair.why } : {}),
  });
  const lastProtocol = (previous: LedgerEntry | undefined): SendProtocol | null =>
    previous?.protocol ?? (previous && previous.status !== 'no-endpoint' ? 'pingback' : null);
  const notTried = (pair: PingPair, previous: LedgerEntry | undefined): SendRow => {
    untried++;
    return row(pair, {
      protocol: lastProtocol(previous),
      endpoint: previous?.endpoint ?? null,
      status: 'retryable',
      message: `not tried: the time budget of ${budgetMs} ms ran out`,
      attempts: previous?.attempts ?? 0,
      ms: 0,
    });
  };

  async function one(pair: PingPair): Promise<void> {
    const bad = [pair.source, pair.target].find((u) => {
      const url = URL.canParse(u) ? new URL(u) : null;
      return !url || (url.protocol !== 'http:' && url.protocol !== 'https:');
    });
    if (bad !== undefined) {
      emit(
        row(pair, {
          protocol: null,
          endpoint: null,
          status: 'skipped',
          message: `not an absolute http(s) URL: ${JSON.stringify(String(bad).slice(0, 200))}`,
          attempts: 0,
          ms: 0,
        }),
      );
      return;
    }
    const previous = options.ledger ? await options.ledger.get(pair.source, pair.target) : undefined;
    const decision =
      pair.why === 'deleted'
        ? decideDeleted(previous, clock.now(), policy)
        : decide(previous, pair.hash, clock.now(), policy, { contentHash: pair.contentHash, protocols: protocols.order });
    if (!decision.send) {
      emit(
        row(pair, {
          protocol: lastProtocol(previous),
          endpoint: previous?.endpoint ?? null,
          status: 'skipped',
          message: decision.reason,
          attempts: previous?.attempts ?? 0,
          ms: 0,
        }),
      );
      return;
    }
    const allowed = pair.why ? { order: protocols.order.filter((p) => p === 'webmention') } : protocols;
    await limiter.run(hostOf(pair.target), async () => {
      if (outOfTime()) {
        emit(notTried(pair, previous));
        return;
      }
      const t0 = clock.now();
      let result: Result;
      try {
        const found = await discover(pair.target);
        if (found instanceof Error) {
          result = isForbidden(found)
            ? { protocol: null, endpoint: null, status: 'refused', message: forbiddenMessage(found, 'target'), ms: 0 }
            : (() => {
                const failure = failureOutcome(found);
                return { protocol: null, endpoint: null, ...failure, message: `discovery failed: ${failure.message}`, ms: 0 };
              })();
        } else if (allowed.order.length === 0) {
          result = {
            protocol: null,
            endpoint: null,
            status: 'no-endpoint',
            message: 'Webmention is turned off, and only a Webmention can tell a target a link is gone',
            ms: 0,
          };
        } else {
          result = { ...(await deliver(pair.source, pair.target, found, allowed, client, guard.transport)), ms: 0 };
        }
      } catch (error) {
        // A bug of ours or a hostile reply we did not foresee: this pair fails, the batch goes on.
        const message = error instanceof TransportError ? error.message : `internal error: ${(error as Error)?.message ?? String(error)}`;
        result = { protocol: null, endpoint: null, status: 'retryable', message: message.slice(0, 500), ms: 0 };
      }
      result.ms = Math.max(0, clock.now() - t0);
      if (outOfTime() && result.status === 'retryable') {
        // Cut off by our own budget, not refused by the target: no backoff, nothing recorded. The next run
        // sends it again; if it did arrive, the receiver answers 48 (or updates the Webmention) and it is done.
        untried++;
        emit(
          row(pair, {
            protocol: result.protocol,
            endpoint: result.endpoint,
            status: 'retryable',
            message: `stopped: the time budget of ${budgetMs} ms ran out (${result.message})`.slice(0, 500),
            attempts: previous?.attempts ?? 0,
            ms: result.ms,
          }),
        );
        return;
      }
      const entry = nextEntry(previous, { source: pair.source, target: pair.target, ...result, sought: allowed.order }, pair.hash, clock.now(), policy, {
        contentHash: pair.contentHash,
        deleted: pair.why === 'deleted',
      });
      await options.ledger?.put(entry);
      const done: SendRow = row(pair, {
        protocol: result.protocol,
        endpoint: result.endpoint,
        status: result.status,
        message: result.message,
        attempts: entry.attempts,
        ms: result.ms,
      });
      if (result.faultCode !== undefined) done.faultCode = result.faultCode;
      if (result.httpStatus !== undefined) done.httpStatus = result.httpStatus;
      if (result.location !== undefined) done.location = result.location;
      emit(done);
    });
  }

  try {
    await Promise.all([...unique.values()].map((pair) => one(pair)));
    await options.ledger?.flush?.();
  } finally {
    clearTimeout(timer);
    await guard.close();
  }
  return { rows, counts: countRows(rows), untried, ms: Math.max(0, clock.now() - started) };
}
