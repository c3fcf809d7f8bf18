import type { Dispatcher } from 'undici';
import { httpRequest } from '../net/http-request.ts';
import type { PingbackStore } from '../store/store.ts';

export interface RebuildResult {
  triggered: boolean;
  message: string;
}

/**
 * Asks the host to rebuild the site (a Netlify build hook: POST to its URL) so a new pingback shows, at
 * most once per interval. The interval is claimed in the store with a create-if-absent mark, so two
 * processes can't both trigger in one interval. The hook URL is a secret: never logged.
 */
export async function triggerRebuild(store: PingbackStore, hookUrl: string, intervalMs: number, now: number, dispatcher?: Dispatcher): Promise<RebuildResult> {
  const slot = Math.floor(now / intervalMs);
  const claimed = await store.createMeta(`rebuild-${slot}`, { at: new Date(now).toISOString() });
  if (!claimed) return { triggered: false, message: 'a rebuild was already requested in this interval' };
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
    const ok = response.status >= 200 && response.status < 300;
    return { triggered: ok, message: ok ? 'rebuild requested' : `build hook answered HTTP ${response.status}` };
  } catch (error) {
    return { triggered: false, message: `build hook unreachable: ${(error as Error).message.replace(hookUrl, '<hook>')}` };
  }
}
