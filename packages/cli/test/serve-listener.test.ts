import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, Receiver } from '@pingback/core';
import { SERVER_LIMITS, guardServer, requestListener } from '../src/serve/listener.ts';
import { StaticSite } from '../src/serve/static-site.ts';
import { rawRequest } from '../../../test/support/raw-http.ts';

const MAX_CONNECTIONS = 64;

// The listener's last line of defence. A failure inside the static site can't be caused for real here
// (the server runs as root, so no file is unreadable), so one site below throws where a read would fail.
class FailingSite extends StaticSite {
  mode: 'throw' | 'after-head' | 'ok' = 'ok';

  override async serve(...args: Parameters<StaticSite['serve']>): Promise<void> {
    const [, res] = args;
    if (this.mode === 'throw') throw new Error('disk on fire');
    if (this.mode === 'after-head') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      throw new Error('disk on fire after the head');
    }
    return super.serve(...args);
  }
}

let dir: string;
let server: Server;
let port: number;
let receiver: Receiver;
let site: FailingSite;
const log: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-listener-'));
  await writeFile(join(dir, 'index.html'), '<h1>Home</h1>');
  site = new FailingSite(dir);
  receiver = new Receiver({ site: 'https://blog.example/', store: new MemoryStore(), pages: [] });
  server = createServer(
    requestListener({ siteUrl: 'https://blog.example/', receiver, site, refresh: async () => {}, pageHeaders: () => ({}), log: (l) => log.push(l) }),
  );
  guardServer(server, (l) => log.push(l), { ...SERVER_LIMITS, maxConnections: MAX_CONNECTIONS });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

const base = () => `http://127.0.0.1:${port}`;

describe('the listener of pingback serve', () => {
  it('answers an unexpected failure 500, logs it with the request, and answers the next request as usual', async () => {
    site.mode = 'throw';
    const failed = await fetch(`${base()}/x`);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('Internal server error.\n');
    expect((await fetch(`${base()}/x`, { method: 'HEAD' })).status).toBe(500);
    expect(log.join('\n')).toMatch(/pingback serve: GET "\/x" failed, answered 500: Error: disk on fire/);
    site.mode = 'ok';
    expect(await (await fetch(`${base()}/`)).text()).toBe('<h1>Home</h1>');
  });

  it('cuts the connection of a failure after the head was sent, and answers the next one', async () => {
    site.mode = 'after-head';
    await expect(fetch(`${base()}/`).then((r) => r.text())).rejects.toThrow();
    site.mode = 'ok';
    expect((await fetch(`${base()}/`)).status).toBe(200);
  });

  it("answers what Node's parser refuses itself: 400 for a broken request line, 431 for oversized headers", async () => {
    expect((await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n')).text).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    expect((await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`)).status).toBe(431);
    expect((await fetch(`${base()}/`)).status).toBe(200);
  });

  it('holds at most maxConnections sockets open: idle ones past the cap are dropped, and the server answers once they go', async () => {
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      });
    const idle: Socket[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) idle.push(await open());
    // Every one of them sent nothing: the next is over the cap and the server closes it at once.
    const extra = await open();
    const closed = await new Promise<boolean>((resolve) => {
      extra.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2_000);
    });
    expect(closed).toBe(true);
    for (const socket of idle) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await fetch(`${base()}/`)).status).toBe(200);
  });
});
