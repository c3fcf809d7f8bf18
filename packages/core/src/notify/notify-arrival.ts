import type { LinkbackRecord } from '../store/record.ts';
import type { DeliveryOutcome, WebhookNotifier } from './deliver.ts';
import { webhookBody } from './payload.ts';

export interface ArrivalContext {
  /** The receiver's notifier; none when no webhook is configured. */
  notifier: WebhookNotifier | undefined;
  /** The site's URL. */
  site: string;
  /** The moderation page's address, when the page is on. */
  moderationUrl?: string;
  /** Keeps the delivery going after the answer (Netlify's `context.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/**
 * Tells the webhook that a linkback arrived (approved or pending), after it was stored. Returns at once:
 * the delivery runs on (handed to `waitUntil` where the platform has it, else in the notifier's bounded
 * queue), so the sender's answer never waits for the webhook nor fails because of it.
 */
export function notifyArrival(record: LinkbackRecord, context: ArrivalContext): Promise<DeliveryOutcome> | undefined {
  const { notifier } = context;
  if (!notifier || (record.status !== 'approved' && record.status !== 'pending')) return undefined;
  const body = webhookBody(notifier.settings.format, {
    record,
    site: context.site,
    ...(context.moderationUrl ? { moderationUrl: context.moderationUrl } : {}),
  });
  const delivery = notifier.deliver(body, `${record.source} → ${record.key}`);
  context.waitUntil?.(delivery);
  return delivery;
}
