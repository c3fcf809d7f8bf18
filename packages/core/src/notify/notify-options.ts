import { PingbackOptionError } from '../errors.ts';
import { checkKnownKeys, checkPositiveInt, checkUrl } from '../option-checks.ts';
import type { Resolver } from '../net/guarded-fetch.ts';
import type { NotifyFormat } from './payload.ts';
import { NOTIFY_FORMATS } from './payload.ts';
import { parseWebhookSecret } from './webhook-secret.ts';

/** The arrival webhook (`PINGBACK_NOTIFY_URL` and `PINGBACK_NOTIFY_SECRET` in the shells). */
export interface NotifyOptions {
  /** Where each accepted or pending linkback is POSTed. The address is a secret for Slack and Discord: never logged. */
  url: string;
  /** Standard Webhooks secret, `whsec_` and base64; required for the generic format. */
  secret?: string;
  /** `generic` (default), `slack` or `discord`. */
  format?: NotifyFormat;
  /**
   * Let the webhook live on loopback, private or reserved addresses and any port. Without it the address
   * obeys the policy source fetches do. For tests and intranets only.
   */
  allowPrivateNetwork?: boolean;
  /** Deadline for each attempt. Default 8000 ms. */
  timeoutMs?: number;
  /** Waits before each retry of a failed delivery. Default [1000, 3000, 9000]: four attempts within 30 s. */
  retryDelaysMs?: number[];
  /** Deliveries waiting or under way at most; past it a notification is dropped and logged. Default 100. */
  maxQueued?: number;
  /** DNS resolution for the webhook's host (tests inject one). */
  resolve?: Resolver;
}

export interface NotifySettings {
  url: URL;
  key: Buffer | undefined;
  format: NotifyFormat;
  allowPrivateNetwork: boolean;
  timeoutMs: number;
  retryDelaysMs: number[];
  maxQueued: number;
  resolve?: Resolver;
}

export const NOTIFY_DEFAULTS = { format: 'generic' as NotifyFormat, timeoutMs: 8000, retryDelaysMs: [1000, 3000, 9000], maxQueued: 100 } as const;

const KNOWN = ['url', 'secret', 'format', 'allowPrivateNetwork', 'timeoutMs', 'retryDelaysMs', 'maxQueued', 'resolve'] as const;

export function resolveNotifyOptions(options: NotifyOptions): NotifySettings {
  checkKnownKeys('notify', options, KNOWN);
  const url = checkUrl('notify.url', options.url);
  if (url.username || url.password)
    throw new PingbackOptionError(
      'notify.url',
      'must not hold a user name or password',
      'Put the credentials in the path or query, as Slack and Discord do, or use the secret.',
    );
  const format = options.format ?? NOTIFY_DEFAULTS.format;
  if (!NOTIFY_FORMATS.includes(format)) {
    throw new PingbackOptionError(
      'notify.format',
      `must be one of ${NOTIFY_FORMATS.map((f) => `"${f}"`).join(', ')}, got ${JSON.stringify(format)}`,
      'Pick "slack" or "discord" for their incoming webhooks, "generic" for your own receiver.',
    );
  }
  if (options.secret === undefined && format === 'generic') {
    throw new PingbackOptionError(
      'notify.secret',
      'is required for the generic format: receivers verify the signature with it',
      'Set PINGBACK_NOTIFY_SECRET (a "whsec_…" secret), or, for a Slack or Discord incoming webhook, choose the format "slack" or "discord" (PINGBACK_NOTIFY_FORMAT).',
    );
  }
  const key = options.secret === undefined ? undefined : parseWebhookSecret('notify.secret', options.secret);
  const retryDelaysMs = options.retryDelaysMs ?? [...NOTIFY_DEFAULTS.retryDelaysMs];
  if (!Array.isArray(retryDelaysMs) || retryDelaysMs.length > 10)
    throw new PingbackOptionError('notify.retryDelaysMs', 'must be an array of at most 10 waits', 'Write e.g. [1000, 3000, 9000].');
  for (const [i, ms] of retryDelaysMs.entries()) checkPositiveInt(`notify.retryDelaysMs[${i}]`, ms, { allowZero: true });
  return {
    url,
    key,
    format,
    allowPrivateNetwork: options.allowPrivateNetwork ?? false,
    timeoutMs: checkPositiveInt('notify.timeoutMs', options.timeoutMs ?? NOTIFY_DEFAULTS.timeoutMs),
    retryDelaysMs,
    maxQueued: checkPositiveInt('notify.maxQueued', options.maxQueued ?? NOTIFY_DEFAULTS.maxQueued),
    ...(options.resolve ? { resolve: options.resolve } : {}),
  };
}
