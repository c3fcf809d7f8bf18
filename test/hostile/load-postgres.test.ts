import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '@pingback/postgres';
import type { TestPostgres } from '../support/postgres.ts';
import { startPostgres } from '../support/postgres.ts';
import type { Serve, Sent } from './support/load.ts';
import {
  LIMIT,
  RESET,
  answersByPair,
  connectionAttempts,
  hostileAndFlood,
  rssOf,
  sendAll,
  startServe,
  startSourceHosts,
  validRequests,
  writeSite,
  wrongHostile,
} from './support/load.ts';

const RECEIVERS = 3;

/**
 * The load test against three `pingback serve` on different ports sharing one PostgreSQL, as behind a
 * load balancer: each valid pingback's two copies go to two different receivers at once, the hostile
 * requests and the flood are spread over all three.
 */
describe('load: three pingback serve sharing one PostgreSQL behave as one', () => {
  let sources: Awaited<ReturnType<typeof startSourceHosts>>;
  let postgres: TestPostgres;
  let dir: string;
  const serves: Serve[] = [];
  const stores: PostgresStore[] = [];

  beforeAll(async () => {
    [sources, postgres] = await Promise.all([startSourceHosts(), startPostgres()]);
    dir = await mkdtemp(join(tmpdir(), 'pingback-load-pg-'));
    await writeSite(dir);
  });
  afterAll(async () => {
    for (const s of serves) s.child.kill('SIGINT');
    await Promise.all(
      serves.map((s) => (s.child.exitCode === null && s.child.signalCode === null ? new Promise((resolve) => s.child.once('exit', resolve)) : null)),
    );
    await Promise.all(stores.map((s) => s.close()));
    await sources?.close();
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function receivers(schema: string): Promise<{ serves: Serve[]; store: PostgresStore; log: string }> {
    const log = join(dir, `${schema}.log`);
    await writeFile(log, '');
    const url = postgres.urlFor(schema);
    const started = await Promise.all(Array.from({ length: RECEIVERS }, () => startServe(dir, url, sources.port, log)));
    serves.push(...started);
    const store = new PostgresStore({ url });
    stores.push(store);
    return { serves: started, store, log };
  }

  /** A valid pair's copies go to receivers k and k+1; everything else round the three. */
  const receiverOf = (s: Sent, i: number) => (s.kind === 'valid' ? (Math.floor(i / 2) + s.copy!) % RECEIVERS : i % RECEIVERS);

  it('stores every valid pingback exactly once, refuses every hostile one, and limits the flood as one server would', async () => {
    const { serves: three, store, log } = await receivers('load_all');
    const { port } = sources;
    const sent: Sent[] = [...validRequests(port), ...hostileAndFlood(port)];
    const rssBefore = three.map((s) => rssOf(s.child.pid!));
    const rssPeak = [...rssBefore];
    const sampler = setInterval(() => {
      for (const [k, s] of three.entries()) rssPeak[k] = Math.max(rssPeak[k]!, rssOf(s.child.pid!));
    }, 50);
    const started = Date.now();
    const answers = await sendAll(sent, (s, i) => three[receiverOf(s, i)]!.endpoint);
    const elapsed = Date.now() - started;
    clearInterval(sampler);

    const byPair = answersByPair(sent, answers);
    const wrongPairs = [...byPair].filter(([, got]) => got.join() !== 'fault 48,registered');
    const storeLines = three
      .flatMap((s) =>
        s
          .stderr()
          .split('\n')
          .filter((l) => /store/.test(l)),
      )
      .slice(0, 5)
      .join('\n');
    expect(wrongPairs.length, `${JSON.stringify(wrongPairs.slice(0, 3))}\n${storeLines}`).toBe(0);
    const wrong = wrongHostile(sent, answers);
    expect(wrong.length, JSON.stringify(wrong.slice(0, 5))).toBe(0);
    // The flood went to three receivers; with limits in each one's memory it would get 3 × 10 through.
    const floodRegistered = sent.filter((s, i) => s.kind === 'flood' && 'registered' in answers[i]!).length;
    const windows = Math.ceil(elapsed / 60_000);
    expect(floodRegistered).toBeGreaterThanOrEqual(LIMIT);
    expect(floodRegistered).toBeLessThanOrEqual(LIMIT * windows);
    expect(sent.filter((s, i) => s.kind === 'flood' && !('registered' in answers[i]!) && (answers[i] as { fault: number }).fault !== 49)).toEqual([]);

    const records = await store.list();
    const stored = records.map((r) => `${r.source} ${r.key.replace('/posts/', '')}`);
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored.filter((s) => s.includes('/valid?') && byPair.has(s)).length).toBe(500);
    expect(records.length).toBe(500 + floodRegistered);
    expect((await store.versions()).size).toBe(records.length); // every row is a whole record

    // Besides the trusted sources, the receivers connected to nothing but their database.
    const attempts = await connectionAttempts(log);
    expect(attempts.filter((a) => a !== `127.0.0.1:${postgres.port}` && (!a.startsWith('127.0.1.') || !a.endsWith(`:${port}`)))).toEqual([]);
    three.forEach((s, k) => {
      expect(s.child.exitCode).toBeNull();
      expect(s.stderr()).not.toMatch(/internal error|unhandled|uncaught|pingback serve: |store:/i);
      expect((rssPeak[k]! - rssBefore[k]!) / 2 ** 20).toBeLessThan(256);
    });
    console.log(
      `load over PostgreSQL: ${sent.length} requests to ${RECEIVERS} receivers in ${elapsed} ms; ${records.length} stored (500 valid, ${floodRegistered} of the flood), 0 doubled; peak RSS ${rssPeak.map((r) => Math.round(r / 2 ** 20)).join(', ')} MB`,
    );
  }, 180_000);

  it('goes on when one receiver is killed mid-load: every valid pingback stored once, nothing half-written', async () => {
    const { serves: three, store } = await receivers('load_kill');
    const sent = validRequests(sources.port);
    const victim = three[2]!;
    let killedAt = -1;
    const started = Date.now();
    const answers = await sendAll(
      sent,
      (s, i) => three[receiverOf(s, i)]!.endpoint,
      (done) => {
        if (killedAt < 0 && done >= sent.length * 0.3) {
          killedAt = done;
          victim.child.kill('SIGKILL');
        }
      },
    );
    const elapsed = Date.now() - started;
    expect(killedAt).toBeGreaterThan(0);
    await new Promise((resolve) => (victim.child.exitCode !== null || victim.child.signalCode !== null ? resolve(null) : victim.child.once('exit', resolve)));

    // The survivors answered everything they were sent: registered, or 48 for a twin that got there first.
    const survivorsWrong = sent.flatMap((s, i) =>
      receiverOf(s, i) !== 2 && !('registered' in answers[i]!) && (answers[i] as { fault: number }).fault !== 48 ? [[s.pair, answers[i]]] : [],
    );
    expect(survivorsWrong).toEqual([]);
    const lostToKill = sent.filter((s, i) => receiverOf(s, i) === 2 && 'fault' in answers[i]! && answers[i]!.fault === RESET).length;
    expect(lostToKill).toBeGreaterThan(0);

    const records = await store.list();
    const pairs = new Set(sent.map((s) => s.pair!));
    const stored = records.map((r) => `${r.source} ${r.key.replace('/posts/', '')}`);
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored.filter((s) => pairs.has(s)).length).toBe(500);
    expect(records.length).toBe(500);
    expect((await store.versions()).size).toBe(500);
    for (const s of three.slice(0, 2)) {
      expect(s.child.exitCode).toBeNull();
      expect(s.stderr()).not.toMatch(/internal error|unhandled|uncaught|pingback serve: /i);
    }
    console.log(
      `kill over PostgreSQL: receiver 3 of ${RECEIVERS} SIGKILLed after ${killedAt} of ${sent.length} answers; ${lostToKill} of its requests cut off; ${records.length} stored of 500, 0 doubled, in ${elapsed} ms`,
    );
  }, 180_000);
});
