import type { Dispatcher } from 'undici';
import { httpRequest } from '../net/http-request.ts';
import type { PingbackStore } from '../store/store.ts';

export interface RebuildResult {
  triggered: boolean;
  message: string;
}

interface Mark {
  at: string;
}

/** When the hook was last asked (or about to be): a change owed a rebuild before then is in that build. */
const LAST = 'rebuild-last';
/** The latest change that found its interval's rebuild already asked for: it is owed the next one. */
const OWED = 'rebuild-owed';

const slotOf = (time: number, intervalMs: number) => Math.floor(time / intervalMs);

/**
 * Asks the host to rebuild the site (a Netlify build hook: POST to its URL) so a new pingback shows, at
 * most once per interval. The interval is claimed in the store with a create-if-absent mark, so two
 * processes can't both trigger in one interval. A change that comes after its interval's rebuild was asked
 * for (the build may already have read the store), or whose hook call failed, is marked owed, and
 * `settleOwedRebuild` asks for it once the interval is over: debouncing never drops a change, it delays it.
 * The hook URL is a secret: never logged.
 */
export function triggerRebuild(store: PingbackStore, hookUrl: string, intervalMs: number, now: number, dispatcher?: Dispatcher): Promise<RebuildResult> {
  return ask(store, hookUrl, intervalMs, now, true, dispatcher);
}

async function ask(
  store: PingbackStore,
  hookUrl: string,
  intervalMs: number,
  now: number,
  forAChange: boolean,
  dispatcher?: Dispatcher,
): Promise<RebuildResult> {
  const at = new Date(now).toISOString();
  const claimed = await store.createMeta(`rebuild-${slotOf(now, intervalMs)}`, { at });
  if (!claimed) {
    // Settling found another process asking for this interval: that build has what was owed.
    if (!forAChange) return { triggered: false, message: 'a rebuild was already requested in this interval' };
    await store.setMeta(OWED, { at } satisfies Mark);
    return { triggered: false, message: 'a rebuild was already requested in this interval; another will be when it ends' };
  }
  await store.setMeta(LAST, { at } satisfies Mark);
  const failed = async (message: string): Promise<RebuildResult> => {
    await store.setMeta(OWED, { at } satisfies Mark);
    return { triggered: false, message: `${message}; asked again after this interval` };
  };
  try {
    const response = await httpRequest({
      url: hookUrl,
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
      maxBytes: 4096,
      timeoutMs: 10_000,
      maxRedirects: 0,
      dispatcher,
    });
    if (response.status >= 200 && response.status < 300) return { triggered: true, message: 'rebuild requested' };
    return failed(`build hook answered HTTP ${response.status}`);
  } catch (error) {
    return failed(`build hook unreachable: ${(error as Error).message.replace(hookUrl, '<hook>')}`);
  }
}

/**
 * Asks for the rebuild a change is owed, if it is owed one and its interval has ended; null when none is
 * due. Cheap enough to run every minute: two small reads of the store when a rebuild is owed, one when not.
 */
export async function settleOwedRebuild(
  store: PingbackStore,
  hookUrl: string,
  intervalMs: number,
  now: number,
  dispatcher?: Dispatcher,
): Promise<RebuildResult | null> {
  const owed = Date.parse((await store.getMeta<Mark>(OWED))?.at ?? '');
  if (!Number.isFinite(owed) || slotOf(owed, intervalMs) >= slotOf(now, intervalMs)) return null;
  const last = Date.parse((await store.getMeta<Mark>(LAST))?.at ?? '');
  // Asked for after the change came (here or by another process): that build has it.
  if (Number.isFinite(last) && last > owed) return null;
  return ask(store, hookUrl, intervalMs, now, false, dispatcher);
}
