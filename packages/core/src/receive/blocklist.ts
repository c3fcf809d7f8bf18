import type { HostPattern } from '../site/host-pattern.ts';
import { compileHostPattern, compileHostPatterns } from '../site/host-pattern.ts';
import type { PingbackStore } from '../store/store.ts';

/** The meta document holding hosts blocked at run time (`pingback block <host>`). */
export const BLOCKLIST_META = 'blocklist';

export async function readRuntimeBlocklist(store: PingbackStore): Promise<string[]> {
  const value = await store.getMeta<unknown>(BLOCKLIST_META);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Adds a host pattern to the run-time blocklist; checks it first so a typo can't be stored. */
export async function blockHost(store: PingbackStore, pattern: string): Promise<string[]> {
  compileHostPattern(pattern, 'host');
  const current = await readRuntimeBlocklist(store);
  if (current.includes(pattern)) return current;
  const next = [...current, pattern];
  await store.setMeta(BLOCKLIST_META, next);
  return next;
}

const RUNTIME_TTL_MS = 5000;
const runtimeCache = new WeakMap<PingbackStore, { at: number; list: Promise<string[]> }>();

/**
 * Whether a source URL's host is blocked by the configured list or the run-time one. The run-time list is
 * read from the store at most every few seconds per process: a host blocked with `pingback block` is
 * refused within seconds, and a flood does not cost a store read per ping.
 */
export async function isBlocked(url: URL, configured: readonly HostPattern[], store: PingbackStore, now = Date.now()): Promise<boolean> {
  if (configured.some((p) => p.matches(url))) return true;
  let cached = runtimeCache.get(store);
  if (!cached || now - cached.at > RUNTIME_TTL_MS) {
    cached = { at: now, list: readRuntimeBlocklist(store) };
    runtimeCache.set(store, cached);
    cached.list.catch(() => runtimeCache.delete(store));
  }
  const runtime = await cached.list;
  if (runtime.length === 0) return false;
  const patterns = runtime.flatMap((entry) => {
    try {
      return compileHostPatterns([entry], 'blocklist');
    } catch {
      return []; // a hand-edited bad entry blocks nothing rather than everything
    }
  });
  return patterns.some((p) => p.matches(url));
}
