import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry, PingResult, SendRow } from '@pingback/core';
import { BadReplyError, PING_STATUSES, TransportError, discoverEndpoint, sendBatch, sendPingback } from '@pingback/core';
import type { TestServer } from '../support/http.ts';
import { html, routes, startServer } from '../support/http.ts';
import type { PythonPeer } from '../support/python.ts';
import { startPythonPeer } from '../support/python.ts';
import type { BuildResult } from '../support/site-build.ts';
import { siteBuild } from '../support/site-build.ts';
import { serveFolder } from '../support/static-server.ts';
import { writeHostileSite } from './support-client-build.ts';
import type { BoundCase, Fleet, Outcome } from './support-client.ts';
import { CASES, HUGE_ALLOWED, TIMED_OUT, startFleet } from './support-client.ts';

/*
 * The client against targets and endpoints that misbehave on purpose (support-client.ts has each case and
 * its expected outcome): one ping at a time, a batch over all of them, and a real Eleventy build whose
 * posts link to them. The build sends at its end only for posts already live and linking to the target,
 * so its output folder is served on loopback as the site itself, as the Eleventy plugin's own test does.
 */

const SOURCE = 'http://source.example/posts/hostile/';
const TIMEOUT_MS = 1000;
/** Slack for a loaded machine on top of what the deadlines allow; a bound for correctness, not speed. */
const GRACE_MS = 5000;

let peer: PythonPeer;
let fleet: Fleet;
let healthy: TestServer;

/** The build's own servers, so its traffic never mixes with the single-case tests'. */
let buildFleet: Fleet;
let site: TestServer;
let siteDir: string;
let build: Promise<{ result: BuildResult; ms: number }>;

const PAGE_CASES = CASES.filter((c) => c.side === 'page');

function caseNamed(f: Fleet, name: string): BoundCase {
  return f.cases.find((c) => c.name === name)!;
}

interface Classified {
  status: string;
  endpoint: string | null;
  message: string;
  faultCode?: number | undefined;
  /** Only a PingResult says how the endpoint was found; batch rows and ledger entries don't. */
  via?: PingResult['via'];
}

function expectOutcome(f: Fleet, c: BoundCase, got: Classified, want: Outcome): void {
  expect(got.status, c.name).toBe(want.status);
  expect(got.faultCode, c.name).toBe(want.faultCode);
  expect(got.endpoint, c.name).toBe(f.endpointOf(c, want.endpoint));
  if (got.via !== undefined) expect(got.via, c.name).toBe(want.via);
  expect(got.message, c.name).toMatch(want.message);
}

beforeAll(async () => {
  peer = await startPythonPeer();
  [fleet, buildFleet] = await Promise.all([startFleet(peer.endpoint), startFleet(peer.endpoint)]);
  healthy = await startServer(
    routes({
      '/via-header': html('<p>a healthy post</p>', { 'X-Pingback': peer.endpoint }),
      '/via-link': html(`<html><head><link rel="pingback" href="${peer.endpoint}"></head><body>fine</body></html>`),
    }),
  );

  // The real build waits out the default 10 s deadlines of the hanging targets, so it starts first and
  // runs beside the single-case tests; its own describe block awaits it.
  site = await serveFolder(() => join(siteDir, '_site'));
  const hostileTargets = buildFleet.cases.map((c) => c.target);
  const half = Math.ceil(hostileTargets.length / 2);
  siteDir = await writeHostileSite(`${site.url}/`, [
    { slug: 'rude-pages', title: 'Rude pages', targets: hostileTargets.slice(0, half) },
    { slug: 'rude-endpoints', title: 'Rude endpoints', targets: hostileTargets.slice(half) },
    { slug: 'kind', title: 'Kind ones', targets: [`${healthy.url}/via-header`, `${healthy.url}/via-link`] },
  ]);
  const started = performance.now();
  build = siteBuild('eleventy', siteDir).then((result) => ({ result, ms: performance.now() - started }));
  build.catch(() => {});
}, 60_000);

afterAll(async () => {
  await build?.catch(() => {});
  await Promise.all([peer?.close(), fleet?.close(), buildFleet?.close(), healthy?.close(), site?.close()]);
  if (siteDir) await rm(siteDir, { recursive: true, force: true });
});

describe('sendPingback never throws and classifies every hostile target exactly', () => {
  it.each(CASES.map((c) => [c.name, c.side] as const))('%s (%s), strict', async (name) => {
    const c = caseNamed(fleet, name);
    const started = performance.now();
    const result = await sendPingback(SOURCE, c.target, { timeoutMs: TIMEOUT_MS, ...c.options });
    // HEAD, GET and the POST each have their own deadline.
    expect(performance.now() - started).toBeLessThan(3 * (c.options?.timeoutMs ?? TIMEOUT_MS) + GRACE_MS);
    expect(result.source).toBe(SOURCE);
    expect(result.target).toBe(c.target);
    expectOutcome(fleet, c, result, c.strict);
    if (!c.decoyCalled) expect(c.server.requests.filter((r) => r.path === '/decoy')).toEqual([]);
  });

  it.each(PAGE_CASES.map((c) => [c.name] as const))('%s, lenient', async (name) => {
    const c = caseNamed(fleet, name);
    const result = await sendPingback(SOURCE, c.target, { timeoutMs: TIMEOUT_MS, lenient: true });
    expectOutcome(fleet, c, result, c.lenient ?? c.strict);
  });

  it('the 10 MB reply is read and registered when maxReplyBytes allows it', async () => {
    const c = caseNamed(fleet, 'endpoint answers a 10 MB reply');
    const result = await sendPingback(SOURCE, c.target, HUGE_ALLOWED);
    expect(result).toMatchObject({ status: 'registered', endpoint: c.ctx.self, via: 'header' });
    // The message is the reply, cut short for logs.
    expect(result.message).toMatch(/^a{499}…$/);
  });

  it('the pings that registered reached the peer with the exact source and target', async () => {
    const registeredAtPeer = CASES.filter((c) => c.strict.endpoint === 'peer' && c.strict.status === 'registered').map((c) => caseNamed(fleet, c.name).target);
    await peer.waitForCalls(1);
    const got = peer.calls.filter((call) => call.params[0] === SOURCE).map((call) => call.params[1]);
    for (const target of registeredAtPeer) expect(got).toContain(target);
  });
});

describe('discoverEndpoint resolves or rejects only with the documented errors', () => {
  it.each(PAGE_CASES.map((c) => [c.name] as const))('%s', async (name) => {
    const c = caseNamed(fleet, name);
    const want = c.discovery!;
    let found: Awaited<ReturnType<typeof discoverEndpoint>> | undefined;
    let error: unknown;
    try {
      found = await discoverEndpoint(c.target, { timeoutMs: TIMEOUT_MS });
    } catch (e) {
      error = e;
    }
    if ('error' in want) {
      expect(found, name).toBeUndefined();
      if (want.error === 'TransportError') {
        expect(error, name).toBeInstanceOf(TransportError);
        const { kind, message } = error as TransportError;
        expect(kind, name).toBe(want.kind);
        if (kind === 'timeout') expect(message, name).toMatch(TIMED_OUT);
        expect((error as TransportError).code).toBe('ERR_PINGBACK_TRANSPORT');
      } else {
        expect(error, name).toBeInstanceOf(BadReplyError);
        expect((error as BadReplyError).status, name).toBe(want.status);
      }
      return;
    }
    expect(error, name).toBeUndefined();
    expect(found!.target).toBe(c.target);
    if (want.endpoint === null) {
      expect(found).toMatchObject({ endpoint: null, via: null });
      expect(found!.reason).toMatch(want.reason);
    } else {
      expect(found).toMatchObject({ endpoint: fleet.endpointOf(c, want.endpoint), via: want.via });
    }
  });
});

describe('sendBatch over every hostile target and two healthy ones', () => {
  const BUDGET_MS = 3000;
  /** Hostile rows that must end classified rather than cut by the budget: three in four. */
  const MIN_CLASSIFIED = Math.ceil(CASES.length * 0.75);
  let report: Awaited<ReturnType<typeof sendBatch>>;
  let elapsed: number;
  let seen: SendRow[];
  const BATCH_SOURCE = 'http://source.example/posts/batch/';

  beforeAll(async () => {
    seen = [];
    const pairs = [
      { source: BATCH_SOURCE, target: `${healthy.url}/via-header` },
      ...fleet.cases.map((c) => ({ source: BATCH_SOURCE, target: c.target })),
      { source: BATCH_SOURCE, target: `${healthy.url}/via-link` },
    ];
    const started = performance.now();
    report = await sendBatch(pairs, {
      budgetMs: BUDGET_MS,
      timeoutMs: 800,
      site: 'http://source.example/',
      allowPrivateNetwork: true,
      onRow: (row) => seen.push(row),
    });
    elapsed = performance.now() - started;
  }, 30_000);

  it('resolves within the budget plus a grace, with one row per pair, each in the client vocabulary', () => {
    expect(elapsed).toBeLessThan(BUDGET_MS + GRACE_MS);
    expect(report.rows).toHaveLength(CASES.length + 2);
    expect(seen).toEqual(report.rows);
    for (const row of report.rows) expect(PING_STATUSES, row.target).toContain(row.status);
    expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBe(CASES.length + 2);
  });

  it('registers the healthy targets, the first and the last in the list', () => {
    for (const path of ['/via-header', '/via-link']) {
      expect(report.rows.find((r) => r.target === `${healthy.url}${path}`)).toMatchObject({ status: 'registered', endpoint: peer.endpoint, attempts: 1 });
    }
    expect(peer.calls.filter((c) => c.params[0] === BATCH_SOURCE).map((c) => c.params[1])).toEqual(
      expect.arrayContaining([`${healthy.url}/via-header`, `${healthy.url}/via-link`]),
    );
  });

  it('classifies each hostile target as sendPingback does, unless the budget cut it', () => {
    let cut = 0;
    for (const c of fleet.cases) {
      const row = report.rows.find((r) => r.target === c.target)!;
      if (/time budget of \d+ ms ran out/.test(row.message)) {
        // Our own deadline, not the target's doing: retryable, and counted as owed.
        cut++;
        expect(row.status, c.name).toBe('retryable');
        continue;
      }
      expectOutcome(fleet, c, row, c.strict);
    }
    expect(report.untried).toBe(cut);
    // A budget that cut every row would pass the loop above: most of them must have been classified (on
    // a quiet machine all are), and the two healthy targets never cut.
    expect(fleet.cases.length - cut, `${cut} of ${fleet.cases.length} hostile rows cut by the budget`).toBeGreaterThanOrEqual(MIN_CLASSIFIED);
    for (const path of ['/via-header', '/via-link']) expect(report.rows.find((r) => r.target === `${healthy.url}${path}`)!.message).not.toMatch(/time budget/);
  });
});

describe('a real Eleventy build whose posts link to the hostile targets', () => {
  let result: BuildResult;
  let ms: number;
  let ledger: LedgerEntry[];
  beforeAll(async () => {
    ({ result, ms } = await build);
    const doc = JSON.parse(await readFile(join(siteDir, '.pingback/ledger.json'), 'utf8')) as { entries: LedgerEntry[] };
    ledger = doc.entries;
  }, 150_000);

  it('exits 0 and writes the site, with the pingback link on each post', async () => {
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    for (const slug of ['rude-pages', 'rude-endpoints', 'kind']) {
      const page = await readFile(join(siteDir, '_site/posts', slug, 'index.html'), 'utf8');
      expect(page).toContain(`<link rel="pingback" href="${site.url}/xmlrpc">`);
    }
    expect(existsSync(join(siteDir, '.pingback/manifest.json'))).toBe(true);
  });

  it('reports every link as a classified row, within the default 120 s budget', () => {
    // The plugin has no budget option: the send runs under sendOutbox's default budget and deadlines.
    expect(ms).toBeLessThan(120_000 + 30_000);
    const summary = result.lines.find((l) => l.startsWith('pings (build):'));
    const line = /^pings \(build\): (\d+) registered, (\d+) already done, (\d+) refused, (\d+) retryable, (\d+) no endpoint, 0 queued, in (\d+\.\d) s$/;
    expect(summary).toMatch(line);
    const [, ...numbers] = line.exec(summary!)!;
    const [registered, already, refused, retryable, none, seconds] = numbers.map(Number) as [number, number, number, number, number, number];
    expect(seconds).toBeLessThanOrEqual(120);
    const want = (status: string) => CASES.filter((c) => c.strict.status === status).length;
    expect({ registered, already, refused, retryable, none }).toEqual({
      registered: want('registered') + 2,
      already: want('already-registered'),
      refused: want('refused'),
      retryable: want('retryable'),
      none: want('no-endpoint'),
    });
  });

  it('records each hostile target in the ledger exactly as the client classifies it', () => {
    expect(ledger).toHaveLength(CASES.length + 2);
    for (const c of buildFleet.cases) {
      const entry = ledger.find((e) => e.target === c.target);
      expect(entry, c.name).toBeDefined();
      // The build's deadline is the default 10 s; the messages name it, so only the rest is compared.
      expectOutcome(buildFleet, c, { ...entry!, endpoint: entry!.endpoint ?? null }, { ...c.strict, message: /./ });
      expect(entry!.attempts, c.name).toBe(1);
    }
    for (const path of ['/via-header', '/via-link']) {
      expect(ledger.find((e) => e.target === `${healthy.url}${path}`)).toMatchObject({ status: 'registered', endpoint: peer.endpoint });
    }
    expect(result.lines.filter((l) => / → /.test(l))).toHaveLength(CASES.length + 2);
  });
});
