import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { startServer } from '../../../test/support/http.ts';
import { settleOwedRebuild, triggerRebuild } from '../src/receive/rebuild.ts';
import { MemoryStore } from '../src/store/memory-store.ts';

/*
 * The rebuild hook is asked at most once per interval, and a change that comes after its interval's
 * rebuild was asked for (or whose hook call failed) is owed the next one: debouncing delays a change,
 * never drops it.
 */

const INTERVAL = 10 * 60_000;
const T0 = Date.parse('2027-03-01T12:00:00Z');
const minutes = (n: number) => T0 + n * 60_000;

let hook: TestServer;
let answer = 200;
beforeAll(async () => {
  hook = await startServer((_req, res) => void res.writeHead(answer).end());
});
afterAll(() => hook.close());
beforeEach(() => {
  answer = 200;
  hook.requests.length = 0;
});

describe('the rebuild hook', () => {
  it('a change after its interval was asked for is asked for when the interval ends, once', async () => {
    const store = new MemoryStore();
    const url = `${hook.url}/hook`;
    expect(await triggerRebuild(store, url, INTERVAL, minutes(0))).toMatchObject({ triggered: true });
    // Approved two minutes later: the build asked for may already have read the store.
    expect(await triggerRebuild(store, url, INTERVAL, minutes(2))).toMatchObject({ triggered: false });
    expect(hook.requests).toHaveLength(1);
    expect(await settleOwedRebuild(store, url, INTERVAL, minutes(9))).toBeNull();
    expect(await settleOwedRebuild(store, url, INTERVAL, minutes(10))).toMatchObject({ triggered: true, message: 'rebuild requested' });
    expect(hook.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
    expect(await settleOwedRebuild(store, url, INTERVAL, minutes(11))).toBeNull();
    expect(await settleOwedRebuild(store, url, INTERVAL, minutes(25))).toBeNull();
    expect(hook.requests).toHaveLength(2);
  });

  it('owes nothing when no change came after the rebuild was asked for', async () => {
    const store = new MemoryStore();
    await triggerRebuild(store, `${hook.url}/hook`, INTERVAL, minutes(0));
    expect(await settleOwedRebuild(store, `${hook.url}/hook`, INTERVAL, minutes(30))).toBeNull();
    expect(hook.requests).toHaveLength(1);
  });

  it('a change whose interval was already asked for by a later change is not asked for twice', async () => {
    const store = new MemoryStore();
    const url = `${hook.url}/hook`;
    await triggerRebuild(store, url, INTERVAL, minutes(0));
    await triggerRebuild(store, url, INTERVAL, minutes(3));
    // The next change comes in the next interval and asks itself: the owed one is in that build.
    expect(await triggerRebuild(store, url, INTERVAL, minutes(12))).toMatchObject({ triggered: true });
    expect(await settleOwedRebuild(store, url, INTERVAL, minutes(13))).toBeNull();
    expect(await settleOwedRebuild(store, url, INTERVAL, minutes(40))).toBeNull();
    expect(hook.requests).toHaveLength(2);
  });

  it('a hook that fails is asked again after the interval, and two receivers settling at once ask once', async () => {
    const store = new MemoryStore();
    const url = `${hook.url}/hook`;
    answer = 500;
    expect(await triggerRebuild(store, url, INTERVAL, minutes(0))).toEqual({
      triggered: false,
      message: 'build hook answered HTTP 500; asked again after this interval',
    });
    answer = 204;
    const [a, b] = await Promise.all([settleOwedRebuild(store, url, INTERVAL, minutes(10)), settleOwedRebuild(store, url, INTERVAL, minutes(10))]);
    expect([a?.triggered, b?.triggered].sort()).toEqual([false, true]);
    expect(hook.requests).toHaveLength(2);
    expect(await settleOwedRebuild(store, url, INTERVAL, minutes(21))).toBeNull();
    expect(hook.requests).toHaveLength(2);
  });
});
