import type { TestServer } from './http.ts';
import { startServer } from './http.ts';

export interface ReceivedWebmention {
  source: string;
  target: string;
  /** The raw form body as it arrived. */
  body: string;
  contentType: string | undefined;
  /** The endpoint's path and query, as requested. */
  path: string;
}

export interface Mention {
  source: string;
  target: string;
  /** What the source said when last verified: its text, so an update shows. */
  text: string;
  updates: number;
}

export interface WebmentionReceiver {
  url: string;
  server: TestServer;
  /** Every Webmention POST, in arrival order. */
  received: ReceivedWebmention[];
  /** What is shown now, by `source target`: verified mentions; deleted ones are gone from here. */
  mentions: Map<string, Mention>;
  /** What verification did, in order: `stored`, `updated`, `deleted (410)`, `deleted (no link)`. */
  log: string[];
  /** Resolves once every Webmention received so far has been verified. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A small Webmention receiver peer on loopback, written from the Recommendation rather than from our own
 * receiver: its posts (`/posts/<slug>/`) advertise `/webmention` by a Link header; a POST is answered 202
 * and verified afterwards (§3.2.2) by fetching the source: 410 or a page without the link deletes the
 * mention (§3.2.4), a page with it stores or updates it.
 */
export async function startWebmentionReceiver(): Promise<WebmentionReceiver> {
  const received: ReceivedWebmention[] = [];
  const mentions = new Map<string, Mention>();
  const log: string[] = [];
  const pending = new Set<Promise<void>>();

  const verify = async (source: string, target: string) => {
    const key = `${source} ${target}`;
    const response = await fetch(source, { redirect: 'follow' });
    const text = await response.text();
    if (response.status === 410) {
      mentions.delete(key);
      log.push(`deleted (410) ${key}`);
      return;
    }
    if (response.status !== 200) {
      log.push(`unverified (${response.status}) ${key}`);
      return;
    }
    if (!text.includes(`href="${target}"`)) {
      if (mentions.delete(key)) log.push(`deleted (no link) ${key}`);
      else log.push(`refused (no link) ${key}`);
      return;
    }
    const plain = text
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    const known = mentions.get(key);
    mentions.set(key, { source, target, text: plain, updates: known ? known.updates + 1 : 0 });
    log.push(`${known ? 'updated' : 'stored'} ${key}`);
  };

  const server = await startServer((req, res, body) => {
    const path = req.url ?? '/';
    if (path.startsWith('/posts/')) {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', link: '</webmention>; rel="webmention"' })
        .end(`<!doctype html><title>${path}</title><p>A post.</p>`);
      return;
    }
    if (path.startsWith('/webmention') && req.method === 'POST') {
      const form = new URLSearchParams(body);
      const source = form.get('source') ?? '';
      const target = form.get('target') ?? '';
      received.push({ source, target, body, contentType: req.headers['content-type'], path });
      if (!URL.canParse(source) || !URL.canParse(target) || source === target) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('source and target must be different URLs');
        return;
      }
      res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted: verifying');
      const job = verify(source, target).catch((error: unknown) => void log.push(`error ${(error as Error).message}`));
      pending.add(job);
      void job.finally(() => pending.delete(job));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });

  return {
    url: server.url,
    server,
    received,
    mentions,
    log,
    settled: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    close: () => server.close(),
  };
}
