import { PingbackOptionError } from '../errors.ts';
import type { HostPattern } from '../site/host-pattern.ts';
import type { LinkbackRecord } from '../store/record.ts';
import type { PingbackStore } from '../store/store.ts';
import { matchesHostList } from './host-lists.ts';

/**
 * How a verified linkback arrives: `auto` publishes it; `pending` holds every one for the owner
 * (`manual` is its older name); `pending-except-allowed` holds all but those from a host on the allow
 * list (configured, or kept in the store and edited from the moderation page or `pingback allow`).
 */
export type Moderation = 'auto' | 'pending' | 'pending-except-allowed' | 'manual';
/** The modes once `manual` is read as `pending`. */
export type ModerationMode = 'auto' | 'pending' | 'pending-except-allowed';
export const MODERATION_MODES: readonly ModerationMode[] = ['auto', 'pending', 'pending-except-allowed'];

/** Checks a moderation option once, at the edge, and reads `manual` as `pending`. */
export function checkModeration(option: string, value: unknown): ModerationMode {
  if (value === 'manual') return 'pending';
  if (typeof value === 'string' && (MODERATION_MODES as readonly string[]).includes(value)) return value as ModerationMode;
  throw new PingbackOptionError(
    option,
    `must be one of ${[...MODERATION_MODES, 'manual'].map((m) => `"${m}"`).join(', ')}, got ${JSON.stringify(value)}`,
    'Use "pending" to hold every linkback for approval, or "pending-except-allowed" to publish those from allowed hosts at once.',
  );
}

export interface ModerationSettings {
  moderation: ModerationMode;
  /** Hosts approved on arrival under `pending-except-allowed`, besides the store's allow list. */
  allowlist: readonly HostPattern[];
  clock: { now(): number };
}

/**
 * The status a verified linkback is stored with, whatever protocol brought it: the one decision both the
 * Pingback and the Webmention side of the receiver ask for before they insert.
 */
export async function statusOnArrival(
  record: Pick<LinkbackRecord, 'source'>,
  settings: ModerationSettings,
  store: PingbackStore,
): Promise<'approved' | 'pending'> {
  if (settings.moderation === 'auto') return 'approved';
  if (settings.moderation === 'pending') return 'pending';
  const url = URL.parse(record.source);
  if (!url) return 'pending';
  return (await matchesHostList(url, settings.allowlist, store, 'allowlist', settings.clock.now())) ? 'approved' : 'pending';
}
