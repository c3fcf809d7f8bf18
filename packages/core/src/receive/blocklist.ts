import type { HostPattern } from '../site/host-pattern.ts';
import type { PingbackStore } from '../store/store.ts';
import { addHost, matchesHostList, readHostList } from './host-lists.ts';

/** The meta document holding hosts blocked at run time (`pingback block <host>`, the moderation page). */
export const BLOCKLIST_META = 'blocklist';

export function readRuntimeBlocklist(store: PingbackStore): Promise<string[]> {
  return readHostList(store, 'blocklist');
}

/** Adds a host pattern to the run-time blocklist; checks it first so a typo can't be stored. */
export function blockHost(store: PingbackStore, pattern: string): Promise<string[]> {
  return addHost(store, 'blocklist', pattern);
}

/**
 * Whether a source URL's host is blocked by the configured list or the run-time one (read from the store
 * at most every few seconds per process; a block made in this process counts at once).
 */
export function isBlocked(url: URL, configured: readonly HostPattern[], store: PingbackStore, now = Date.now()): Promise<boolean> {
  return matchesHostList(url, configured, store, 'blocklist', now);
}
