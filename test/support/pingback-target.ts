import { parseMethodCall, writeFault, writeMethodResponse } from '@pingback/core';
import type { TestServer } from './http.ts';
import { sleep, startServer } from './http.ts';

export interface TargetSite extends TestServer {
  /** pingback.ping calls received, as [source, target]. */
  pings: [string, string][];
}

/**
 * A blog on loopback whose pages advertise its own XML-RPC endpoint by header, and whose endpoint answers
 * by the target's path: /fault-N → fault N, …/hang never answers the ping; pages under /hang and /reset
 * never answer or drop the connection; /plain pages
 * advertise nothing. `delayMs` slows every answer, and `inFlight` is shared between sites to measure
 * global concurrency.
 */
export async function startTargetSite(options: { delayMs?: number; inFlight?: { now: number; max: number } } = {}): Promise<TargetSite> {
  const pings: [string, string][] = [];
  const shared = options.inFlight;
  const server = await startServer(async (req, res, body) => {
    if (shared) {
      shared.now++;
      shared.max = Math.max(shared.max, shared.now);
      res.on('close', () => shared.now--);
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (options.delayMs) await sleep(options.delayMs);
    if (path.startsWith('/hang')) return;
    if (path.startsWith('/reset')) return void res.destroy();
    if (req.method === 'POST' && path === '/xmlrpc') {
      const call = parseMethodCall(body);
      const [source, target] = call.params as [string, string];
      pings.push([source, target]);
      const targetPath = new URL(target).pathname;
      if (targetPath.includes('/hang')) return;
      const fault = /\/fault-(\d+)/.exec(targetPath);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(fault ? writeFault(Number(fault[1]), `fault ${fault[1]}`) : writeMethodResponse(`registered ${source} -> ${target}`));
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'text/html' };
    if (!path.includes('/plain')) headers['x-pingback'] = `http://${req.headers.host}/xmlrpc`;
    res.writeHead(200, headers).end(`<h1>${path}</h1>`);
  });
  return Object.assign(server, { pings });
}
