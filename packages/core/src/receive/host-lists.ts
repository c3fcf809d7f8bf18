import type { HostPattern } from '../site/host-pattern.ts';
import { compileHostPattern, compileHostPatterns } from '../site/host-pattern.ts';
import type { PingbackStore } from '../store/store.ts';

/**
 * The two host lists kept in the store and edited at run time (the moderation page, `pingback block` and
 * `pingback allow`): hosts whose linkbacks are refused, and hosts whose linkbacks are approved on arrival
 * when moderation is `pending-except-allowed`. Each is one meta document holding an array of patterns.
 */
export type HostList = 'blocklist' | 'allowlist';
export const HOST_LISTS: readonly HostList[] = ['blocklist', 'allowlist'];

/** Entries a list keeps at most: each is checked on every linkback, and the page shows them all. */
export const HOST_LIST_MAX = 1000;

export async function readHostList(store: PingbackStore, list: HostList): Promise<string[]> {
  const value = await store.getMeta<unknown>(list);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const RUNTIME_TTL_MS = 5000;
const caches: Record<HostList, WeakMap<PingbackStore, { at: number; list: Promise<string[]> }>> = {
  blocklist: new WeakMap(),
  allowlist: new WeakMap(),
};

/** What this process knows of a list it just wrote: its own change is seen at once, not after the cache's few seconds. */
function remember(store: PingbackStore, list: HostList, entries: string[], now: number): void {
  caches[list].set(store, { at: now, list: Promise.resolve(entries) });
}

/** Adds a pattern (checked first, so a typo can't be stored); returns the list as stored. */
export async function addHost(store: PingbackStore, list: HostList, pattern: string, now = Date.now()): Promise<string[]> {
  compileHostPattern(pattern, 'host');
  const current = await readHostList(store, list);
  if (current.includes(pattern)) return current;
  if (current.length >= HOST_LIST_MAX) throw new RangeError(`the ${list} already holds ${HOST_LIST_MAX} hosts; remove some first`);
  const next = [...current, pattern];
  await store.setMeta(list, next);
  remember(store, list, next, now);
  return next;
}

/** Removes a pattern if present; returns the list as stored. */
export async function removeHost(store: PingbackStore, list: HostList, pattern: string, now = Date.now()): Promise<string[]> {
  const current = await readHostList(store, list);
  if (!current.includes(pattern)) return current;
  const next = current.filter((entry) => entry !== pattern);
  await store.setMeta(list, next);
  remember(store, list, next, now);
  return next;
}

/**
 * Whether a URL's host matches the configured patterns or the run-time list. The run-time list is read
 * from the store at most every few seconds per process, so a flood does not cost a store read per
 * linkback, and a change made elsewhere (another instance, the command) is seen within seconds.
 */
export async function matchesHostList(url: URL, configured: readonly HostPattern[], store: PingbackStore, list: HostList, now = Date.now()): Promise<boolean> {
  if (configured.some((p) => p.matches(url))) return true;
  const cache = caches[list];
  let cached = cache.get(store);
  if (!cached || now - cached.at > RUNTIME_TTL_MS) {
    cached = { at: now, list: readHostList(store, list) };
    cache.set(store, cached);
    cached.list.catch(() => cache.delete(store));
  }
  const runtime = await cached.list;
  if (runtime.length === 0) return false;
  const patterns = runtime.flatMap((entry) => {
    try {
      return compileHostPatterns([entry], list);
    } catch {
      return []; // a hand-edited bad entry matches nothing rather than everything
    }
  });
  return patterns.some((p) => p.matches(url));
}
