import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../src/send/ledger.ts';
import { DEFAULT_RETRY, decide, decideDeleted, entryProtocol, nextEntry } from '../src/send/ledger.ts';
import { FileLedger } from '../src/send/ledger-file.ts';

const NOW = Date.parse('2027-03-01T00:00:00Z');
const entry = (fields: Partial<LedgerEntry>): LedgerEntry => ({
  source: 's',
  target: 't',
  status: 'registered',
  attempts: 1,
  firstAt: '2027-01-01T00:00:00.000Z',
  lastAt: '2027-01-01T00:00:00.000Z',
  message: '',
  hash: 'h',
  ...fields,
});
const BOTH = ['webmention', 'pingback'] as const;

describe('ledger entries for two protocols', () => {
  it('an entry written before Webmention is a pingback, done as before', () => {
    const old = entry({});
    expect(entryProtocol(old)).toBe('pingback');
    expect(decide(old, 'h2', NOW, DEFAULT_RETRY, { contentHash: 'c2', protocols: BOTH })).toEqual({
      send: false,
      reason: 'registered on 2027-01-01T00:00:00.000Z',
    });
  });

  it('a delivered Webmention is sent again when its post changed, links or content (§3.1.4), not otherwise', () => {
    const sent = entry({ protocol: 'webmention', contentHash: 'c1' });
    expect(decide(sent, 'h', NOW, DEFAULT_RETRY, { contentHash: 'c1', protocols: BOTH }).send).toBe(false);
    expect(decide(sent, 'h', NOW, DEFAULT_RETRY, { contentHash: 'c2', protocols: BOTH }).send).toBe(true);
    expect(decide(sent, 'h2', NOW, DEFAULT_RETRY, { contentHash: 'c1', protocols: BOTH }).send).toBe(true);
    // Without a content hash on one side (an old manifest or entry) nothing can be said to have changed.
    expect(decide(entry({ protocol: 'webmention' }), 'h', NOW, DEFAULT_RETRY, { contentHash: 'c2', protocols: BOTH }).send).toBe(false);
  });

  it('no-endpoint is looked at again for a protocol it did not look for: old entries once for Webmention', () => {
    const old = entry({ status: 'no-endpoint' });
    expect(decide(old, 'h', NOW, DEFAULT_RETRY, { protocols: BOTH }).send).toBe(true);
    expect(decide(old, 'h', NOW, DEFAULT_RETRY, { protocols: ['pingback'] }).send).toBe(false);
    const checked = nextEntry(
      old,
      { source: 's', target: 't', status: 'no-endpoint', endpoint: null, message: 'none', protocol: null, sought: BOTH },
      'h',
      NOW,
      DEFAULT_RETRY,
    );
    expect(checked.sought).toEqual(['webmention', 'pingback']);
    expect(decide(checked, 'h', NOW, DEFAULT_RETRY, { protocols: BOTH }).send).toBe(false);
  });

  it('a gone post tells a target once, and only where a Webmention was delivered', () => {
    expect(decideDeleted(entry({ protocol: 'webmention' }), NOW, DEFAULT_RETRY).send).toBe(true);
    expect(decideDeleted(entry({}), NOW, DEFAULT_RETRY)).toEqual({ send: false, reason: 'sent by Pingback, which has no deletes' });
    expect(decideDeleted(undefined, NOW, DEFAULT_RETRY).send).toBe(false);
    const told = nextEntry(
      entry({ protocol: 'webmention' }),
      { source: 's', target: 't', status: 'registered', endpoint: 'e', message: 'ok', protocol: 'webmention' },
      'h',
      NOW,
      DEFAULT_RETRY,
      { deleted: true },
    );
    expect(told).toMatchObject({ deleted: true, attempts: 1 });
    expect(decideDeleted(told, NOW, DEFAULT_RETRY).send).toBe(false);
    const failed = nextEntry(
      entry({ protocol: 'webmention' }),
      { source: 's', target: 't', status: 'retryable', endpoint: 'e', message: 'HTTP 503', protocol: 'webmention' },
      'h',
      NOW,
      DEFAULT_RETRY,
      { deleted: true },
    );
    expect(decideDeleted(failed, NOW, DEFAULT_RETRY).send).toBe(false); // backoff
    expect(decideDeleted(failed, NOW + 16 * 60_000, DEFAULT_RETRY).send).toBe(true);
    // The post published again: its link is a mention again.
    expect(decide(told, 'h', NOW, DEFAULT_RETRY, { protocols: BOTH }).send).toBe(true);
  });
});

describe('a ledger file from before Webmention', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pingback-old-ledger-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads as it did: every entry a pingback, posts without targets', async () => {
    const path = join(dir, 'ledger.json');
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        entries: [
          {
            source: 'https://a.example/p/',
            target: 'https://b.example/q/',
            status: 'registered',
            attempts: 1,
            firstAt: '2026-01-01T00:00:00.000Z',
            lastAt: '2026-01-01T00:00:00.000Z',
            endpoint: 'https://b.example/xmlrpc',
            message: 'ok',
            hash: 'h',
          },
        ],
        posts: [{ source: 'https://a.example/p/', hash: 'h', firstSeenAt: '2026-01-01T00:00:00.000Z', lastSeenAt: '2026-01-01T00:00:00.000Z' }],
      }),
    );
    const ledger = await FileLedger.open(path);
    const got = ledger.get('https://a.example/p/', 'https://b.example/q/')!;
    expect(entryProtocol(got)).toBe('pingback');
    expect(ledger.getPost('https://a.example/p/')?.targets).toBeUndefined();
  });
});
