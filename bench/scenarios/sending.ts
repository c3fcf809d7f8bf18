import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PingPair } from '@pingback/core';
import { BATCH_DEFAULTS, MemoryLedger, SOURCE_CONCURRENCY, sendBatch, sendWebmention } from '@pingback/core';
import type { Figure, Scenario } from '../harness.ts';
import { median } from '../harness.ts';

const WORKER = fileURLToPath(new URL('../workers/receivers.ts', import.meta.url));

function ask<T>(child: ChildProcess, message: unknown): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    if (message !== undefined) child.send(message as string);
  });
}

/**
 * 1,000 (source, target) pairs over 100 loopback receivers that offer both protocols and answer after
 * 100 ms. Two baselines, each the lower bound of a limit, with two round trips per pair (one GET finds
 * both endpoints, then the Webmention POST) taking the measured time of one pair alone: the default global
 * limit's, ⌈pairs / concurrency⌉ rounds, and the per-host limit's (at most 2 at a time to one host,
 * nothing else limiting), ⌈pairs to the busiest host / 2⌉ rounds. The batch is measured against the first
 * with the default limits, and against the second with the global limit lifted. Also: requests per target
 * for discovery (one GET finds both endpoints: the target is 1), sending one at a time (the seeds' way),
 * memory while sending, and a second run against the same ledger. The receivers are on loopback, which
 * the sender refuses unless `allowPrivateNetwork`.
 */
export const sending: Scenario = {
  name: 'sending',
  summary: '1,000 pings to 100 loopback receivers answering after 100 ms, vs the lower bounds of the global and the per-host limit',
  async run({ smoke, log }) {
    const receivers = smoke ? 10 : 100;
    const pairsCount = smoke ? 60 : 1000;
    const delay = 100;
    const child = fork(WORKER, [String(receivers), String(delay)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const { ports } = await ask<{ ports: number[] }>(child, undefined);
      const pairs: PingPair[] = Array.from({ length: pairsCount }, (_, i) => ({
        source: `https://bench.example/posts/s${i}/`,
        target: `http://127.0.0.1:${ports[i % ports.length]}/posts/t${i}/`,
      }));

      const LOOPBACK = { allowPrivateNetwork: true } as const;
      // One pair alone, a few times: the time two round trips really take here.
      const single: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const r = await sendWebmention(`https://bench.example/posts/probe${i}/`, `http://127.0.0.1:${ports[i % ports.length]}/posts/probe${i}/`, LOOPBACK);
        if (r.status !== 'registered') throw new Error(`probe ping: ${r.message}`);
        single.push(performance.now() - t);
      }
      const perPair = median(single);
      const globalRounds = Math.ceil(pairsCount / BATCH_DEFAULTS.concurrency);
      const bound = globalRounds * perPair;
      const perTarget = new Map<string, number>();
      for (const p of pairs) perTarget.set(new URL(p.target).host, (perTarget.get(new URL(p.target).host) ?? 0) + 1);
      const hostRounds = Math.ceil(Math.max(...perTarget.values()) / BATCH_DEFAULTS.perHost);
      const hostBound = hostRounds * perPair;

      const ledger = new MemoryLedger();
      const counted = await ask<{ byMethod: Record<string, number> }>(child, 'count');
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
      const t = performance.now();
      const report = await sendBatch(pairs, { ledger, ...LOOPBACK });
      const batchMs = performance.now() - t;
      clearInterval(sampler);
      if (report.counts.registered !== pairsCount) throw new Error(`only ${report.counts.registered} of ${pairsCount} registered`);
      if (report.rows.some((r) => r.protocol !== 'webmention')) throw new Error('a target offering both protocols was not sent a Webmention');
      const after1 = (await ask<{ byMethod: Record<string, number> }>(child, 'count')).byMethod;
      const fetches = (after1.GET ?? 0) - (counted.byMethod.GET ?? 0) + (after1.HEAD ?? 0) - (counted.byMethod.HEAD ?? 0);
      const notifications = (after1.POST ?? 0) - (counted.byMethod.POST ?? 0);
      const targets = new Set(pairs.map((p) => p.target)).size;
      log(
        `batch: ${Math.round(batchMs)} ms; bound ${Math.round(bound)} ms (${globalRounds} rounds of ${BATCH_DEFAULTS.concurrency} × ${Math.round(perPair)} ms); per-host bound ${Math.round(hostBound)} ms (${hostRounds} rounds)`,
      );

      // The same pairs again, fresh ledger, the global limit lifted: only the per-host limit holds them back.
      const unlimited = pairs.map((p) => ({ source: p.source.replace('/s', '/u'), target: p.target.replace('/t', '/u') }));
      const tu = performance.now();
      const lifted = await sendBatch(unlimited, { ledger: new MemoryLedger(), concurrency: pairsCount, ...LOOPBACK });
      const liftedMs = performance.now() - tu;
      if (lifted.counts.registered !== pairsCount) throw new Error(`global limit lifted: only ${lifted.counts.registered} of ${pairsCount} registered`);
      log(`global limit lifted: ${Math.round(liftedMs)} ms against the per-host bound of ${Math.round(hostBound)} ms`);

      const sample = smoke ? 5 : 50;
      const ts = performance.now();
      for (const pair of pairs.slice(0, sample)) await sendWebmention(pair.source.replace('/s', '/seq'), pair.target.replace('/t', '/seq'), LOOPBACK);
      const sequentialMs = ((performance.now() - ts) / sample) * pairsCount;

      const before = (await ask<{ requests: number }>(child, 'count')).requests;
      const again = await sendBatch(pairs, { ledger, ...LOOPBACK });
      const after = (await ask<{ requests: number }>(child, 'count')).requests;
      if (again.counts.skipped !== pairsCount) throw new Error('the second run did not skip everything');

      const growthMb = (rssPeak - rssBefore) / 2 ** 20;
      return [
        {
          scenario: 'sending',
          metric: `${pairsCount} pairs, ${receivers} receivers, wall time`,
          measured: Math.round(batchMs),
          baseline: Math.round(bound),
          ratio: batchMs / bound,
          unit: 'ms',
          target: '≤ 1.3 × bound',
          pass: batchMs / bound <= 1.3,
          notes: `default limits (${BATCH_DEFAULTS.concurrency} in flight, ${BATCH_DEFAULTS.perHost} per host); bound = ⌈${pairsCount}/${BATCH_DEFAULTS.concurrency}⌉ × ${Math.round(perPair)} ms for one pair alone`,
        },
        {
          scenario: 'sending',
          metric: '… the same, default limits, against the per-host bound',
          measured: Math.round(batchMs),
          baseline: Math.round(hostBound),
          ratio: batchMs / hostBound,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: `per-host bound = ⌈${Math.max(...perTarget.values())} pairs to the busiest host / ${BATCH_DEFAULTS.perHost}⌉ × ${Math.round(perPair)} ms: what the global limit costs here`,
        },
        {
          scenario: 'sending',
          metric: '… global limit lifted, against the per-host bound',
          measured: Math.round(liftedMs),
          baseline: Math.round(hostBound),
          ratio: liftedMs / hostBound,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: `concurrency ${pairsCount}, ${BATCH_DEFAULTS.perHost} per host; the guarded fetcher still lets only ${SOURCE_CONCURRENCY} exchanges out at once, the bound that remains`,
        },
        {
          scenario: 'sending',
          metric: 'discovery of both endpoints: fetches per target',
          measured: fetches / targets,
          baseline: null,
          ratio: fetches / targets,
          unit: '',
          target: '1 (one GET, no HEAD)',
          pass: fetches === targets,
          notes: `${fetches} GET/HEAD for ${targets} targets offering Webmention and Pingback; ${notifications} POSTs, all Webmentions`,
        },
        {
          scenario: 'sending',
          metric: 'vs one at a time',
          measured: Math.round(batchMs),
          baseline: Math.round(sequentialMs),
          ratio: batchMs / sequentialMs,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: `one at a time extrapolated from ${sample} pairs sent in sequence`,
        },
        {
          scenario: 'sending',
          metric: 'peak RSS growth while sending',
          measured: Math.round(growthMb),
          baseline: Math.round(rssBefore / 2 ** 20),
          ratio: rssPeak / rssBefore,
          unit: 'MB',
          target: '≤ 64 MB growth',
          pass: growthMb <= 64,
        },
        {
          scenario: 'sending',
          metric: 'second run, same ledger: requests',
          measured: after - before,
          baseline: null,
          ratio: null,
          unit: '',
          target: '0',
          pass: after - before === 0,
        },
      ] satisfies Figure[];
    } finally {
      child.kill();
    }
  },
};
