/**
 * Run with `node --expose-gc`: floods a receiver with 10,000 pingbacks from distinct refused sources with
 * long URLs (half literal private addresses, half names that resolve to one), from 10,000 client addresses,
 * and prints the heap after a full collection before, right after, and once the windows have passed and
 * one more ping has swept them, with the sizes of the structures that key on what strangers send.
 */
import { MemoryRateLimiter, MemoryStore, Receiver, parseMethodResponse, writeMethodCall } from '@pingback/core';

const SITE = 'https://blog.example/';
const FLOOD = Number(process.argv[2] ?? 10_000);
const PATH = 'p'.repeat(Number(process.argv[3] ?? 6000));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let now = Date.UTC(2026, 0, 1);
const limiter = new MemoryRateLimiter(10);
const receiver = new Receiver({
  site: SITE,
  store: new MemoryStore(),
  pages: ['/posts/a'],
  rateLimiter: limiter,
  clock: { now: () => now },
  resolve: async () => [{ address: '10.0.0.1', family: 4 }],
});
const cache = (receiver as unknown as { cache: { size: number; heldBytes: number } }).cache;

const faults = new Map<number, number>();
async function ping(i: number): Promise<void> {
  const source = i % 2 ? `http://10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/${PATH}?n=${i}` : `http://h${i}.${'x'.repeat(60)}.example/${PATH}?n=${i}`;
  const request = new Request(`${SITE}xmlrpc`, { method: 'POST', body: writeMethodCall('pingback.ping', [source, `${SITE}posts/a/`]) });
  const response = await receiver.handle(request, { clientAddress: `198.18.${(i >> 8) & 255}.${i & 255}` });
  const reply = parseMethodResponse(new Uint8Array(await response.arrayBuffer()));
  const code = reply.kind === 'fault' ? reply.faultCode : 1;
  faults.set(code, (faults.get(code) ?? 0) + 1);
}

async function heap(): Promise<number> {
  // Twice, with a turn of the event loop between, so finalizers and closed sockets are collected too.
  for (let i = 0; i < 2; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().heapUsed;
}

await ping(-1); // warm up: modules loaded, the connection pool made
const before = await heap();
let next = 0;
await Promise.all(
  Array.from({ length: 50 }, async () => {
    while (next < FLOOD) await ping(next++);
  }),
);
const flooded = await heap();
const during = { cache: cache.size, cacheBytes: cache.heldBytes, windows: limiter.size };
now += 2 * 60_000;
await ping(FLOOD + 1);
const after = await heap();
await receiver.close();
console.log(
  JSON.stringify({
    before,
    flooded,
    after,
    during,
    afterSizes: { cache: cache.size, cacheBytes: cache.heldBytes, windows: limiter.size },
    faults: Object.fromEntries(faults),
    urlBytes: FLOOD * PATH.length,
  }),
);
