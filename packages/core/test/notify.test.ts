import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recorded, TestServer } from '../../../test/support/http.ts';
import { html, startServer } from '../../../test/support/http.ts';
import { pythonVerifyWebhooks } from '../../../test/support/python.ts';
import { record } from '../../../test/support/store-contract.ts';
import { WebhookNotifier } from '../src/notify/deliver.ts';
import type { NotifyOptions } from '../src/notify/notify-options.ts';
import { resolveNotifyOptions } from '../src/notify/notify-options.ts';
import { discordBody, slackBody } from '../src/notify/payload.ts';
import { generateWebhookSecret } from '../src/notify/webhook-secret.ts';
import type { ReceiverOptions } from '../src/receive/receiver-options.ts';
import { Receiver } from '../src/receive/receiver.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { parseMethodResponse, writeMethodCall } from '../src/xmlrpc/index.ts';

const SITE = 'https://blog.example/';
const SECRET = generateWebhookSecret();
const TOKEN = 'a-moderation-token-of-some-length-42';
let source: TestServer;

beforeAll(async () => {
  source = await startServer(
    html(`<!doctype html><title>A reply</title><meta name="author" content="Ann"><p>I liked <a href="${SITE}posts/a/">this post</a> a lot.</p>`),
  );
});
afterAll(() => source.close());

/** A webhook receiver whose answers the test chooses, one per request; by default 200. */
async function webhook(
  answers: ((req: Recorded) => [number, Record<string, string>?] | Promise<[number, Record<string, string>?]>)[] = [],
): Promise<TestServer> {
  let n = 0;
  const server: TestServer = await startServer(async (_req, res) => {
    const answer = answers[n++];
    const [status, headers] = answer ? await answer(server.requests[server.requests.length - 1]!) : [200];
    res.writeHead(status, headers ?? {}).end();
  });
  return server;
}

function logs() {
  const lines: string[] = [];
  return { lines, logger: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) } };
}

function receiver(notify: Partial<NotifyOptions> & { url: string }, extra: Partial<ReceiverOptions> = {}) {
  const store = new MemoryStore();
  const log = logs();
  const r = new Receiver({
    site: SITE,
    store,
    pages: ['/posts/a'],
    rateLimit: 0,
    allowPrivateNetwork: true,
    resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    notify: { secret: SECRET, allowPrivateNetwork: true, retryDelaysMs: [20, 20, 20], ...notify },
    logger: log.logger,
    ...extra,
  });
  return { receiver: r, store, log };
}

async function ping(r: Receiver, from = `http://reply.example:${source.port}/reply`) {
  const response = await r.handle(new Request(`${SITE}xmlrpc`, { method: 'POST', body: writeMethodCall('pingback.ping', [from, `${SITE}posts/a/`]) }));
  return parseMethodResponse(new Uint8Array(await response.arrayBuffer()));
}

describe('the arrival webhook', () => {
  it("POSTs one signed JSON body per accepted linkback that Python's hmac and the standardwebhooks library verify, with the public fields, status and moderation link", async () => {
    const hook = await webhook();
    const { receiver: r } = receiver({ url: `${hook.url}/hook?key=s3cret` }, { moderation: 'pending', admin: { token: TOKEN } });
    try {
      expect(await ping(r)).toMatchObject({ kind: 'result' });
      await expect.poll(() => hook.requests.length).toBe(1);
      const [req] = hook.requests;
      expect(req!.method).toBe('POST');
      expect(req!.path).toBe('/hook?key=s3cret');
      expect(req!.headers['content-type']).toBe('application/json');
      expect(req!.headers['webhook-id']).toMatch(/^msg_[\w-]{22}$/);
      expect(req!.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
      expect(req!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      const body = JSON.parse(req!.body) as { type: string; timestamp: string; data: Record<string, unknown> };
      expect(body.type).toBe('linkback.received');
      expect(body.data).toMatchObject({
        source: `http://reply.example:${source.port}/reply`,
        target: `${SITE}posts/a/`,
        key: '/posts/a',
        status: 'pending',
        protocol: 'pingback',
        kind: 'mention',
        title: 'A reply',
        site: SITE,
        moderationUrl: `${SITE}pingback/admin`,
      });
      expect(body.timestamp).toBe(body.data.receivedAt);
      const now = Math.floor(Date.now() / 1000);
      const headers = {
        'webhook-id': req!.headers['webhook-id'] as string,
        'webhook-timestamp': req!.headers['webhook-timestamp'] as string,
        'webhook-signature': req!.headers['webhook-signature'] as string,
      };
      const checks = pythonVerifyWebhooks([
        { secret: SECRET, headers, body: req!.body, now },
        { secret: generateWebhookSecret(), headers, body: req!.body, now },
        { secret: SECRET, headers, body: req!.body.replace('A reply', 'A forgery'), now },
        { secret: SECRET, headers, body: req!.body, now: now + 3600 },
      ]);
      // And the Standard Webhooks project's own library, as a receiver would use it.
      expect(new Webhook(SECRET).verify(req!.body, headers)).toEqual(body);
      expect(() => new Webhook(generateWebhookSecret()).verify(req!.body, headers)).toThrow(WebhookVerificationError);
      expect(checks).toEqual([
        { valid: true, why: 'ok' },
        { valid: false, why: 'no matching signature' },
        { valid: false, why: 'no matching signature' },
        { valid: false, why: 'timestamp out of tolerance' },
      ]);
    } finally {
      await r.close();
      await hook.close();
    }
  });

  it('answers the sender while the webhook has not answered yet: the ping never waits for it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const hook = await webhook([
      async () => {
        await held;
        return [200];
      },
    ]);
    const { receiver: r } = receiver({ url: hook.url });
    try {
      const answered = await ping(r);
      expect(answered).toMatchObject({ kind: 'result' });
      // The webhook has the request but has not answered it: the ping's answer did not include it.
      await expect.poll(() => hook.requests.length).toBe(1);
      expect(r.notifier!.size).toBe(1);
      release();
      await expect.poll(() => r.notifier!.size).toBe(0);
    } finally {
      release();
      await r.close();
      await hook.close();
    }
  });

  it('retries a failed delivery with the same id and a fresh signature, and logs what it gave up on without the address', async () => {
    const hook = await webhook([() => [500], () => [503, { 'retry-after': '0' }]]);
    const { receiver: r, log } = receiver({ url: `${hook.url}/T000/B000/secret-path` });
    const dead = await webhook([() => [500], () => [502], () => [500], () => [504], () => [500]]);
    const { receiver: r2, log: log2 } = receiver({ url: `${dead.url}/secret-path` });
    try {
      await ping(r);
      await expect.poll(() => hook.requests.length).toBe(3);
      const ids = new Set(hook.requests.map((q) => q.headers['webhook-id']));
      expect(ids.size).toBe(1);
      const checks = pythonVerifyWebhooks(
        hook.requests.map((q) => ({ secret: SECRET, headers: q.headers as Record<string, string>, body: q.body, now: Math.floor(Date.now() / 1000) })),
      );
      expect(checks.every((c) => c.valid)).toBe(true);
      await expect.poll(() => r.notifier!.size).toBe(0);
      expect(log.lines.filter((l) => l.includes('webhook'))).toEqual([]);

      await ping(r2);
      await expect.poll(() => r2.notifier!.size).toBe(0);
      expect(dead.requests).toHaveLength(4); // the first try and three retries
      const gaveUp = log2.lines.filter((l) => l.includes('gave up'));
      expect(gaveUp).toEqual([
        `[pingback] webhook: gave up notifying 127.0.0.1:${dead.port} of http://reply.example:${source.port}/reply → /posts/a (HTTP 504)`,
      ]);
      expect(log2.lines.join('\n')).not.toContain('secret-path');
    } finally {
      await Promise.all([r.close(), r2.close(), hook.close(), dead.close()]);
    }
  });

  it('obeys the source-fetch address policy: a loopback webhook is never connected to unless explicitly allowed', async () => {
    const hook = await webhook();
    const { receiver: r, log } = receiver({ url: hook.url, allowPrivateNetwork: false });
    try {
      expect(await ping(r)).toMatchObject({ kind: 'result' });
      await expect.poll(() => r.notifier!.size).toBe(0);
      expect(hook.requests).toHaveLength(0);
      expect(log.lines.find((l) => l.includes('gave up'))).toMatch(/loopback, private, reserved/);
    } finally {
      await r.close();
      await hook.close();
    }
  });

  it('does not follow a redirect, and stops after a 410 Gone', async () => {
    const other = await webhook();
    const moved = await webhook([() => [308, { location: `${other.url}/new` }]]);
    const gone = await webhook([() => [410]]);
    const a = receiver({ url: moved.url });
    const b = receiver({ url: gone.url });
    try {
      await ping(a.receiver);
      await ping(b.receiver);
      await expect.poll(() => a.receiver.notifier!.size + b.receiver.notifier!.size).toBe(0);
      expect([moved.requests.length, other.requests.length, gone.requests.length]).toEqual([1, 0, 1]);
      expect(a.log.lines.join('\n')).toContain('answered with a redirect');
      expect(b.log.lines.join('\n')).toContain('HTTP 410');
      await ping(b.receiver, `http://second.example:${source.port}/reply`);
      await expect.poll(() => b.receiver.notifier!.size).toBe(0);
      expect(gone.requests).toHaveLength(1);
    } finally {
      await Promise.all([a.receiver.close(), b.receiver.close(), other.close(), moved.close(), gone.close()]);
    }
  });

  it('queues at most maxQueued deliveries: past it a notification is dropped and logged, not held', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const afterRelease = async (): Promise<[number]> => {
      await held;
      return [200];
    };
    const hook = await webhook([afterRelease, afterRelease]);
    const log = logs();
    const notifier = new WebhookNotifier(resolveNotifyOptions({ url: hook.url, secret: SECRET, allowPrivateNetwork: true, maxQueued: 2 }), log.logger, SITE);
    try {
      const first = notifier.deliver('{}', 'one');
      const second = notifier.deliver('{}', 'two');
      expect(await notifier.deliver('{}', 'three')).toBe('dropped');
      expect(log.lines).toEqual([`[pingback] webhook: 2 notifications already queued for 127.0.0.1:${hook.port}; dropped the one for three`]);
      release();
      expect(await Promise.all([first, second])).toEqual(['delivered', 'delivered']);
    } finally {
      release();
      await notifier.close();
      await hook.close();
    }
  });

  it('checks its options: a Standard Webhooks secret, required for the generic format; a known format', () => {
    expect(() => resolveNotifyOptions({ url: 'https://hooks.example/' })).toThrow(/notify\.secret.*required for the generic format/);
    expect(() => resolveNotifyOptions({ url: 'https://hooks.example/', secret: 'plain-secret' })).toThrow(/whsec_/);
    expect(() => resolveNotifyOptions({ url: 'https://hooks.example/', secret: `whsec_${Buffer.alloc(8).toString('base64')}` })).toThrow(
      /24 to 64 bytes, got 8/,
    );
    expect(() => resolveNotifyOptions({ url: 'https://hooks.example/', format: 'teams' as never })).toThrow(/notify\.format/);
    expect(resolveNotifyOptions({ url: 'https://hooks.slack.example/services/x', format: 'slack' }).key).toBeUndefined();
  });
});

describe('payloads for Slack- and Discord-style incoming webhooks', () => {
  const hostile = record('/posts/a', 'https://evil.example/x|y>z', {
    status: 'pending',
    title: '<!channel> @everyone <https://phish.example|Your bank>',
    excerpt: '**bold** [link](https://phish.example) <@123>',
    author: { name: '@here' },
  });
  const event = { record: hostile, site: SITE, moderationUrl: `${SITE}pingback/admin` };

  it("Slack: one text in its format, a stranger's text escaped so it can neither mention nor link", () => {
    const body = JSON.parse(slackBody(event)) as { text: string; unfurl_links: boolean };
    expect(body.unfurl_links).toBe(false);
    expect(body.text).not.toMatch(/<!channel>|<https:\/\/phish/);
    expect(body.text).toContain('&lt;!channel&gt; @everyone &lt;https://phish.example|Your bank&gt;');
    expect(body.text).toContain('<https://evil.example/x%7Cy%3Ez|');
    expect(body.text).toContain(`<${SITE}pingback/admin|Approve or reject it>`);
  });

  it('Discord: content and an embed, Markdown escaped, no mention allowed to reach anyone', () => {
    const body = JSON.parse(discordBody(event)) as {
      content: string;
      embeds: { title: string; description: string; url: string }[];
      allowed_mentions: { parse: string[] };
    };
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds[0]!.description).toBe('\\*\\*bold\\*\\* \\[link\\]\\(https\\://phish.example\\) \\<\\@123\\>');
    expect(body.embeds[0]!.url).toBe('https://evil.example/x|y%3Ez');
    expect(body.content).toContain(`${SITE}pingback/admin`);
  });
});
