import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { MemoryStore, Receiver } from '@pingback/core';
import type { ReceiverOptions } from '@pingback/core';
import { clientAddress, sendResponse, toRequest } from '@pingback/core/node';

export interface ReceivingSite {
  url: string;
  receiver: Receiver;
  store: MemoryStore;
  /** pingback.ping calls that reached the endpoint. */
  calls: number;
  close(): Promise<void>;
}

/**
 * A blog on loopback that takes pingbacks for real: every page under /posts/ advertises its endpoint by
 * header, and the endpoint is the core Receiver over a memory store, verifying each source by fetching it.
 */
export async function startReceivingSite(options: Partial<ReceiverOptions> & { delayMs?: number } = {}): Promise<ReceivingSite> {
  const { delayMs = 0, ...receiverOptions } = options;
  const store = new MemoryStore();
  const state = { calls: 0, receiver: undefined as Receiver | undefined };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const r = state.receiver!;
    if (path === '/xmlrpc') {
      state.calls++;
      void new Promise((resolve) => setTimeout(resolve, delayMs))
        .then(() => r.handle(toRequest(req, r.settings.site.href), { clientAddress: clientAddress(req) }))
        .then((response) => sendResponse(response, res))
        .catch(() => res.destroy());
      return;
    }
    if (path.startsWith('/posts/')) return void res.writeHead(200, { 'content-type': 'text/html', 'x-pingback': r.endpoint }).end(`<h1>${path}</h1>`);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.receiver = new Receiver({ site: url, store, pages: (key) => key.startsWith('/posts/'), allowPrivateNetwork: true, rateLimit: 0, ...receiverOptions });
  return {
    url,
    receiver: state.receiver,
    store,
    get calls() {
      return state.calls;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
