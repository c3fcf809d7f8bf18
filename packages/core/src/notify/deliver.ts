import { randomBytes } from 'node:crypto';
import { TransportError } from '../errors.ts';
import { KeyedLimiter } from '../net/limiter.ts';
import { firstHeader } from '../net/http-request.ts';
import { userAgent } from '../net/user-agent.ts';
import type { Logger } from '../receive/logger.ts';
import { SourceFetcher } from '../net/guarded-fetch.ts';
import type { NotifySettings } from './notify-options.ts';
import { webhookSignature } from './webhook-secret.ts';

/** Attempts under way at once; the rest of the queue waits its turn. */
const CONCURRENT_ATTEMPTS = 4;
/** A receiver's `Retry-After` is honoured up to this long. */
const MAX_RETRY_AFTER_MS = 30_000;

export type DeliveryOutcome = 'delivered' | 'gave-up' | 'dropped';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/** A message id of our own: `msg_` and base64url, never a full stop (the signed content is split on them). */
export function webhookId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/**
 * Delivers webhook bodies: signed the Standard Webhooks way (a fresh timestamp and signature for each
 * attempt, one id for all), through the guarded fetcher so the address obeys the source-fetch policy,
 * retried with backoff, never following a redirect. Deliveries queue in process up to `maxQueued`; a
 * flood past that is dropped and logged, never held in memory without bound. Nothing here ever throws
 * to the caller: the sender's answer does not depend on the webhook.
 */
export class WebhookNotifier {
  readonly settings: NotifySettings;
  private readonly logger: Logger;
  private readonly fetcher: SourceFetcher;
  private readonly attempts = new KeyedLimiter(CONCURRENT_ATTEMPTS, CONCURRENT_ATTEMPTS);
  private queued = 0;
  private gone = false;
  private readonly site: string;

  constructor(settings: NotifySettings, logger: Logger, site: string) {
    this.settings = settings;
    this.logger = logger;
    this.site = site;
    this.fetcher = new SourceFetcher(
      {
        allowPrivateNetwork: settings.allowPrivateNetwork,
        allowedPorts: [80, 443],
        maxBytes: 16 * 1024,
        timeoutMs: settings.timeoutMs,
        maxRedirects: 0,
        ...(settings.resolve ? { resolve: settings.resolve } : {}),
      },
      site,
    );
  }

  /** Deliveries waiting or under way. */
  get size(): number {
    return this.queued;
  }

  /** The webhook's host, all a log line may say of its address (Slack's and Discord's carry their secret in the path). */
  private get where(): string {
    return this.settings.url.host;
  }

  /** Sends one body; resolves with what became of it, after the last attempt. */
  deliver(body: string, what: string): Promise<DeliveryOutcome> {
    if (this.gone) return Promise.resolve('gave-up');
    if (this.queued >= this.settings.maxQueued) {
      this.logger.warn(`[pingback] webhook: ${this.queued} notifications already queued for ${this.where}; dropped the one for ${what}`);
      return Promise.resolve('dropped');
    }
    this.queued++;
    return this.attemptAll(body, what, webhookId()).finally(() => this.queued--);
  }

  private async attemptAll(body: string, what: string, id: string): Promise<DeliveryOutcome> {
    const delays = this.settings.retryDelaysMs;
    let last = '';
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      const result = await this.attempts.run('', () => this.attempt(body, id));
      if (result.ok) return 'delivered';
      last = result.why;
      if (result.final || attempt === delays.length) break;
      await sleep(Math.max(delays[attempt]!, Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)));
    }
    this.logger.warn(`[pingback] webhook: gave up notifying ${this.where} of ${what} (${last})`);
    return 'gave-up';
  }

  private async attempt(body: string, id: string): Promise<{ ok: true } | { ok: false; final: boolean; why: string; retryAfterMs?: number }> {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': userAgent(this.site, 'linkback notification'),
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
    };
    if (this.settings.key) headers['webhook-signature'] = webhookSignature(this.settings.key, id, timestamp, body);
    try {
      const response = await this.fetcher.request({
        url: this.settings.url.href,
        method: 'POST',
        headers,
        body,
        maxBytes: 16 * 1024,
        timeoutMs: this.settings.timeoutMs,
        maxRedirects: 0,
      });
      if (response.status >= 200 && response.status < 300) return { ok: true };
      if (response.status === 410) {
        // Standard Webhooks: 410 means the receiver wants no more; this process stops sending.
        this.gone = true;
        return { ok: false, final: true, why: 'HTTP 410: the receiver asked for no more notifications; remove the webhook or fix its address' };
      }
      const retryAfter = Number(firstHeader(response, 'retry-after'));
      return {
        ok: false,
        final: false,
        why: `HTTP ${response.status}`,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      };
    } catch (error) {
      if (error instanceof TransportError) {
        // A redirect is not followed (the address should be updated), and the address policy won't change between attempts.
        if (error.kind === 'redirect-limit') return { ok: false, final: true, why: 'it answered with a redirect; give the webhook its final address' };
        if (error.kind === 'forbidden-address')
          return {
            ok: false,
            final: true,
            why: 'its address is loopback, private, reserved or on a port other than 80 and 443 (allowPrivateNetwork permits it, for tests and intranets)',
          };
        return { ok: false, final: false, why: error.kind };
      }
      return { ok: false, final: false, why: (error as Error)?.message ?? String(error) };
    }
  }

  close(): Promise<void> {
    return this.fetcher.close();
  }
}
