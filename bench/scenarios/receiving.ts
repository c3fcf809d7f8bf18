import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { FileStore, WEBMENTION_CONCURRENCY, WEBMENTION_PER_HOST, WEBMENTION_QUEUE, parseMethodResponse, writeMethodCall } from '@pingback/core';
import type { Figure, Scenario } from '../harness.ts';
import { cpuOf, cpuSplitOf, percentile, rssOf } from '../harness.ts';
import type { BenchServe } from '../served-site.ts';
import { BENCH_SITE, serveBenchSite, writeBenchSite } from '../served-site.ts';
import type { LoadJob, LoadResult, Sent } from '../workers/load.ts';

const SOURCES = fileURLToPath(new URL('../workers/sources.ts', import.meta.url));
const LOAD = fileURLToPath(new URL('../workers/load.ts', import.meta.url));
const SITE = BENCH_SITE;
const POSTS = 200;
const SOURCE_DELAY = 20;
/** Source hosts 127.0.0.1 and 127.0.3.1–16: real traffic comes from many blogs, and the Webmention queue verifies at most 4 at a time per host. */
const SOURCE_HOSTS = 16;
const BYTE_CAP = 1024 * 1024;
/** The overhead over fetching the source that a pingback's answer (or a Webmention's storing) may add at p99. */
const P99_OVERHEAD_MS = 50;

function message<T>(child: ChildProcess, send?: unknown): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    if (send !== undefined) child.send(send as string);
  });
}

const ms = (n: number) => (Number.isFinite(n) ? Math.round(n) : n);

/** What one open-loop run came to: overheads over the source's own answer time, the generator's lag, the CPU each process used. */
interface RateRun {
  rate: number;
  sent: Sent[];
  wallMs: number;
  /** Per request answered: answer latency from the due time, minus the source's own answer time. */
  overhead: number[];
  answer: number[];
  source: number[];
  lag: number[];
  cpu: { serve: number; sources: number; generator: number };
  /** The machine's 1-minute load average after the run: the other work these cores were shared with. */
  load: number;
}

/**
 * `pingback serve --rate-limit 0` under open-loop load: pingbacks, then Webmentions, sent at fixed rates
 * (50, 100, 200, 400 a second, 6 s each) on a schedule, by a generator in a process of its own, from 17
 * source hosts whose pages answer after 20 ms. Each request's latency runs from the time it was due; the
 * source server times its own answer to each fetch, and the receiver's overhead is the difference. A
 * Webmention is answered 202 before its source is fetched: its answer is reported, and its overhead is
 * the time from due to stored less the source's answer. The baseline at each rate is the generator
 * fetching the sources itself on the same schedule: the floor the machine sets. Then the throughput at saturation (100 clients,
 * closed loop), and a 200 MB source and a one-byte-a-second source with the server's memory watched.
 */
export const receiving: Scenario = {
  name: 'receiving',
  summary: 'pingback serve under open-loop load at 50–400 pingbacks and Webmentions a second (sources answering after 20 ms), then at saturation',
  async run({ smoke, log }) {
    const rates = smoke ? [25, 50] : [50, 100, 200, 400];
    const seconds = smoke ? 1 : 6;
    const saturation = { count: smoke ? 100 : 2000, concurrency: smoke ? 10 : 100 };
    const dir = await mkdtemp(join(tmpdir(), 'pingback-bench-receive-'));
    const sources = fork(SOURCES, [SITE, String(POSTS), String(SOURCE_DELAY), String(SOURCE_HOSTS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const generator = fork(LOAD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const agent = new Agent({ keepAliveTimeout: 4_000 });
    let serve: BenchServe | undefined;
    try {
      const [{ port, hosts }] = await Promise.all([
        message<{ port: number; hosts: string[] }>(sources),
        message<string>(generator), // 'ready'
      ]);
      const sourceBase = `http://127.0.0.1:${port}`;
      const sourceBases = hosts.map((h) => `http://${h}:${port}`);
      const site = await writeBenchSite(dir, POSTS);
      const sourceTimeoutMs = smoke ? 2000 : 10_000;
      serve = await serveBenchSite(site, join(dir, 'store'), ['--source-timeout', String(sourceTimeoutMs)]);
      const url = serve.url;
      // serve logs one line per verified Webmention, after storing it: when each source's was stored.
      const storedAt = new Map<number, number>();
      serve.onLine((line) => {
        const m = /^\[pingback\] webmention [^:]+: \S+\/s\/(\d+) → /.exec(line);
        if (m) storedAt.set(Number(m[1]), performance.timeOrigin + performance.now());
      });

      let next = 0;
      const load = (job: Omit<LoadJob, 'url' | 'sources' | 'site' | 'posts' | 'first'>) => {
        const first = next;
        next += job.count;
        return message<LoadResult>(generator, { ...job, url, sources: sourceBases, site: SITE, posts: POSTS, first });
      };
      const sourceTimes = async () => (await message<{ times: Record<number, number> }>(sources, 'times')).times;
      const cpuNow = async () => ({ serve: await cpuOf(serve!.pid), sources: await cpuOf(sources.pid!), generator: await cpuOf(generator.pid!) });
      const waitStored = async (ids: readonly number[]) => {
        const deadline = Date.now() + (smoke ? 60_000 : 5 * 60_000);
        while (ids.some((id) => !storedAt.has(id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      };

      /** One open-loop run; for Webmentions it waits until every accepted one is verified. */
      const atRate = async (protocol: LoadJob['protocol'], rate: number): Promise<RateRun> => {
        const before = await cpuNow();
        const result = await load({ mode: 'open', protocol, rate, count: Math.round(rate * seconds) });
        const accepted = result.sent.filter(([, , , , outcome]) => outcome === 202).map(([id]) => id);
        if (protocol === 'webmention') await waitStored(accepted);
        const after = await cpuNow();
        const times = await sourceTimes();
        const answered = result.sent.filter(([id]) => times[id] !== undefined);
        const ends = (s: Sent) => (protocol !== 'webmention' ? s[3] : storedAt.has(s[0]) ? storedAt.get(s[0])! - s[1] : Number.NaN);
        return {
          rate,
          sent: result.sent,
          wallMs: result.wallMs,
          overhead: answered.map((s) => ends(s) - times[s[0]]!).filter(Number.isFinite),
          answer: result.sent.map((s) => s[3]),
          source: answered.map((s) => times[s[0]]!),
          lag: result.sent.map((s) => s[2]),
          cpu: { serve: after.serve - before.serve, sources: after.sources - before.sources, generator: after.generator - before.generator },
          load: loadavg()[0]!,
        };
      };
      const describe = (run: RateRun) => {
        const n = run.sent.length;
        return (
          `p50 ${ms(percentile(run.overhead, 50))} ms; answer p50/p99 ${ms(percentile(run.answer, 50))}/${ms(percentile(run.answer, 99))} ms, ` +
          `the source's own ${ms(percentile(run.source, 50))}/${ms(percentile(run.source, 99))} ms; ${n} sent over ${ms(run.wallMs)} ms; ` +
          `generator lag p99 ${percentile(run.lag, 99).toFixed(1)} ms, max ${Math.max(...run.lag).toFixed(1)} ms; ` +
          `CPU ms per request: serve ${(run.cpu.serve / n).toFixed(2)}, sources ${(run.cpu.sources / n).toFixed(2)}, generator ${(run.cpu.generator / n).toFixed(2)} ` +
          `(${Math.round(((run.cpu.serve + run.cpu.sources + run.cpu.generator) / run.wallMs) * 100)} % of one core of ${availableParallelism()}, load average ${run.load.toFixed(1)})`
        );
      };

      // Warm both sides up first (JIT, connections, the source hosts), with requests of their own, unmeasured.
      await load({ mode: 'open', protocol: 'pingback', rate: 50, count: smoke ? 20 : 100 });
      const warmWm = await load({ mode: 'open', protocol: 'webmention', rate: 50, count: smoke ? 20 : 100 });
      await waitStored(warmWm.sent.filter((s) => s[4] === 202).map((s) => s[0]));
      await sourceTimes();

      // The floor: the generator fetching the sources itself on the same schedule. What it adds over the
      // source's own answer time is the measurement's (loopback, scheduling on shared cores), not serve's.
      const directRuns: RateRun[] = [];
      for (const rate of rates) {
        const run = await atRate('direct', rate);
        directRuns.push(run);
        log(`direct fetches at ${rate} /s: p99 overhead ${ms(percentile(run.overhead, 99))} ms, ${describe(run)}`);
      }

      const pingbackIds: number[] = [];
      let registered = 0;
      const pingbackRuns: RateRun[] = [];
      for (const rate of rates) {
        const run = await atRate('pingback', rate);
        pingbackRuns.push(run);
        for (const [id, , , , outcome] of run.sent) {
          pingbackIds.push(id);
          if (outcome === 0) registered++;
        }
        log(`pingbacks at ${rate} /s: p99 overhead ${ms(percentile(run.overhead, 99))} ms, ${describe(run)}`);
      }

      // Saturation: closed loop, so throughput is what the server manages, whatever latency that costs.
      const cpuBefore = { serve: await cpuSplitOf(serve.pid), sources: await cpuOf(sources.pid!), generator: await cpuOf(generator.pid!) };
      const burst = await load({ mode: 'closed', protocol: 'pingback', concurrency: saturation.concurrency, count: saturation.count });
      const serveCpu = await cpuSplitOf(serve.pid);
      const cpu = {
        serveUser: serveCpu.user - cpuBefore.serve.user,
        serveSystem: serveCpu.system - cpuBefore.serve.system,
        sources: (await cpuOf(sources.pid!)) - cpuBefore.sources,
        generator: (await cpuOf(generator.pid!)) - cpuBefore.generator,
      };
      await sourceTimes();
      for (const [id, , , , outcome] of burst.sent) {
        pingbackIds.push(id);
        if (outcome === 0) registered++;
      }
      log(
        `saturation: ${burst.sent.length} pingbacks from ${saturation.concurrency} clients in ${ms(burst.wallMs)} ms; CPU ms: serve ${cpu.serveUser} user + ${cpu.serveSystem} system, sources ${ms(cpu.sources)}, generator ${ms(cpu.generator)}`,
      );
      const measured = new Set(pingbackIds.map((i) => `${sourceBases[i % sourceBases.length]}/s/${i}`));
      const records = (await new FileStore(join(dir, 'store')).list()).filter((r) => measured.has(r.source));
      const distinct = new Set(records.map((r) => `${r.key} ${r.source}`)).size;
      const lost = pingbackIds.length - distinct;
      const doubled = records.length - distinct;

      const webmentionRuns: RateRun[] = [];
      for (const rate of rates) {
        const run = await atRate('webmention', rate);
        webmentionRuns.push(run);
        const refused = run.sent.filter((s) => s[4] !== 202).length;
        log(`Webmentions at ${rate} /s: p99 overhead to stored ${ms(percentile(run.overhead, 99))} ms, ${refused} not accepted, ${describe(run)}`);
      }
      // Webmentions at saturation: 100 clients; what the queue can't hold is told 503 and not sent again here.
      const wmBurst = await load({ mode: 'closed', protocol: 'webmention', concurrency: saturation.concurrency, count: saturation.count });
      const wmBurstAccepted = wmBurst.sent.filter((s) => s[4] === 202).map((s) => s[0]);
      await waitStored(wmBurstAccepted);
      const wmBurstFirst = Math.min(...wmBurst.sent.map((s) => s[1]));
      const wmBurstLast = Math.max(...wmBurstAccepted.map((id) => storedAt.get(id) ?? Number.POSITIVE_INFINITY));
      const full = wmBurst.sent.filter((s) => s[4] === 503).length;
      await sourceTimes();
      const wmSent = [...webmentionRuns.flatMap((r) => r.sent), ...wmBurst.sent];
      const wmAccepted = new Set(wmSent.filter((s) => s[4] === 202).map((s) => `${sourceBases[s[0] % sourceBases.length]}/s/${s[0]}`));
      const wmSources = new Set(wmSent.map((s) => `${sourceBases[s[0] % sourceBases.length]}/s/${s[0]}`));
      const wmRecords = (await new FileStore(join(dir, 'store')).list()).filter((r) => wmSources.has(r.source) && r.protocol === 'webmention');
      const wmDistinct = new Set(wmRecords.map((r) => `${r.key} ${r.source}`)).size;
      const wmStray = wmRecords.filter((r) => !wmAccepted.has(r.source)).length;
      const wmRefusedInRuns = webmentionRuns.reduce((n, r) => n + r.sent.filter((s) => s[4] !== 202).length, 0);
      log(
        `Webmentions at saturation: ${wmBurstAccepted.length} of ${wmBurst.sent.length} accepted in ${ms(wmBurst.wallMs)} ms (${full} answered 503), the last stored ${ms(wmBurstLast - wmBurstFirst)} ms after the first was due; ${wmRecords.length} records, ${wmDistinct} distinct, for ${wmAccepted.size} accepted`,
      );

      // A 200 MB source and a trickle, at once, with the server's memory watched.
      const rssBefore = await rssOf(serve.pid);
      let rssPeak = rssBefore;
      const sampler = setInterval(
        () =>
          void rssOf(serve!.pid).then(
            (r) => (rssPeak = Math.max(rssPeak, r)),
            () => {},
          ),
        100,
      );
      const timed = async (source: string) => {
        const t = performance.now();
        const response = await request(`${url}/xmlrpc`, {
          method: 'POST',
          body: writeMethodCall('pingback.ping', [source, `${SITE}posts/p1/`]),
          dispatcher: agent,
        });
        const reply = parseMethodResponse(new Uint8Array(await response.body.arrayBuffer()));
        return { ms: performance.now() - t, code: reply.kind === 'fault' ? reply.faultCode : 0 };
      };
      const [big, trickle] = await Promise.all([timed(`${sourceBase}/big`), timed(`${sourceBase}/trickle`)]);
      clearInterval(sampler);
      const growth = (rssPeak - rssBefore) / 2 ** 20;
      const allowed = BYTE_CAP / 2 ** 20 + 16;

      const highest = (runs: readonly RateRun[]) => {
        let best = 0;
        for (const run of runs) if (run.overhead.length === run.sent.length && percentile(run.overhead, 99) <= P99_OVERHEAD_MS) best = run.rate;
        return best;
      };
      const rateRows = (runs: readonly RateRun[], what: string): Figure[] =>
        runs.map((run, i) => {
          const floor = percentile(directRuns[i]!.overhead, 99);
          return {
            scenario: 'receiving',
            metric: `${what} at ${run.rate} /s: p99 overhead`,
            measured: ms(percentile(run.overhead, 99)),
            baseline: floor > 0 ? ms(floor) : null,
            ratio: floor > 0 ? percentile(run.overhead, 99) / floor : null,
            unit: 'ms',
            target: 'report',
            pass: true,
            notes: `${describe(run)}; baseline: the generator fetching the sources itself at the same rate, p50 ${ms(percentile(directRuns[i]!.overhead, 50))} ms over the source's own time`,
          };
        });
      const pingbackBest = highest(pingbackRuns);
      const webmentionBest = highest(webmentionRuns);
      const allLag = [...pingbackRuns, ...webmentionRuns].flatMap((r) => r.lag);
      const wmAnswers = webmentionRuns.flatMap((r) => r.answer);
      return [
        ...rateRows(pingbackRuns, 'pingbacks'),
        {
          scenario: 'receiving',
          metric: 'pingbacks: highest rate with p99 overhead ≤ 50 ms',
          measured: pingbackBest,
          baseline: null,
          ratio: null,
          unit: '/s',
          target: `≥ ${rates[0]} /s`,
          pass: pingbackBest >= rates[0]!,
          notes: `of ${rates.join(', ')} /s, ${seconds} s each; overhead = answer time from the scheduled send less the source's own answer time`,
        },
        {
          scenario: 'receiving',
          metric: `${saturation.count} pingbacks, ${saturation.concurrency} clients (saturation): throughput`,
          measured: Math.round(saturation.count / (burst.wallMs / 1000)),
          baseline: null,
          ratio: null,
          unit: '/s',
          target: 'report',
          pass: true,
          notes: `${ms(burst.wallMs)} ms in all, closed loop`,
        },
        {
          scenario: 'receiving',
          metric: 'serve CPU per pingback',
          measured: (cpu.serveUser + cpu.serveSystem) / saturation.count,
          baseline: null,
          ratio: null,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: `${cpu.serveUser} ms user + ${cpu.serveSystem} ms system at saturation; the generator and sources used ${ms(cpu.generator + cpu.sources)} ms of the same ${availableParallelism()} cores`,
        },
        {
          scenario: 'receiving',
          metric: 'records lost / doubled',
          measured: lost + doubled,
          baseline: null,
          ratio: null,
          unit: '',
          target: '0',
          pass: lost === 0 && doubled === 0 && registered === pingbackIds.length,
          notes: `${records.length} records for ${pingbackIds.length} pingbacks, ${registered} answered registered`,
        },
        ...rateRows(webmentionRuns, 'Webmentions, to stored,'),
        {
          scenario: 'receiving',
          metric: 'Webmentions: highest rate with p99 overhead to stored ≤ 50 ms',
          measured: webmentionBest,
          baseline: null,
          ratio: null,
          unit: '/s',
          target: 'report',
          pass: true,
          notes: `verified ${WEBMENTION_CONCURRENCY} at a time, ${WEBMENTION_PER_HOST} per source host, from ${sourceBases.length} hosts; ${wmRefusedInRuns} of the open-loop ones not accepted`,
        },
        {
          scenario: 'receiving',
          metric: 'Webmention answer (202), all rates: p99',
          measured: ms(percentile(wmAnswers, 99)),
          baseline: null,
          ratio: null,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: `p50 ${ms(percentile(wmAnswers, 50))} ms, from the scheduled send; answered before the source is fetched`,
        },
        {
          scenario: 'receiving',
          metric: 'load generator: send lag p99 / max',
          measured: Number(percentile(allLag, 99).toFixed(1)),
          baseline: null,
          ratio: null,
          unit: 'ms',
          target: 'report',
          pass: true,
          notes: `max ${Math.max(...allLag).toFixed(1)} ms over every open-loop request; latencies run from the due time, so lag is counted in them`,
        },
        {
          scenario: 'receiving',
          metric: `${saturation.count} Webmentions, ${saturation.concurrency} clients (saturation): accepted`,
          measured: Math.round(wmBurst.sent.length / (wmBurst.wallMs / 1000)),
          baseline: Math.round(saturation.count / (burst.wallMs / 1000)),
          ratio: burst.wallMs / wmBurst.wallMs,
          unit: '/s',
          target: 'report',
          pass: wmBurstAccepted.length > 0,
          notes: `${wmBurstAccepted.length} answered 202, ${full} answered 503 (the queue of ${WEBMENTION_QUEUE} full) and not sent again; baseline: the pingbacks' throughput`,
        },
        {
          scenario: 'receiving',
          metric: 'Webmentions verified (saturation)',
          measured: Math.round(wmBurstAccepted.length / ((wmBurstLast - wmBurstFirst) / 1000)),
          baseline: null,
          ratio: null,
          unit: '/s',
          target: 'report',
          pass: wmBurstAccepted.every((id) => storedAt.has(id)),
          notes: `the last stored ${ms(wmBurstLast - wmBurstFirst)} ms after the first was due`,
        },
        {
          scenario: 'receiving',
          metric: 'Webmention records lost / doubled',
          measured: wmAccepted.size - wmDistinct + (wmRecords.length - wmDistinct) + wmStray,
          baseline: null,
          ratio: null,
          unit: '',
          target: '0',
          pass: wmDistinct === wmAccepted.size && wmRecords.length === wmDistinct && wmStray === 0,
          notes: `${wmRecords.length} records for ${wmAccepted.size} Webmentions accepted of ${wmSent.length} sent; ${wmStray} stored that were not accepted`,
        },
        {
          scenario: 'receiving',
          metric: '200 MB source: answer',
          measured: Math.round(big.ms),
          baseline: sourceTimeoutMs,
          ratio: big.ms / sourceTimeoutMs,
          unit: 'ms',
          target: '≤ deadline, fault 17',
          pass: big.ms <= sourceTimeoutMs + 1000 && big.code === 17,
          notes: `answered fault ${big.code}`,
        },
        {
          scenario: 'receiving',
          metric: '1 byte/s source: answer',
          measured: Math.round(trickle.ms),
          baseline: sourceTimeoutMs,
          ratio: trickle.ms / sourceTimeoutMs,
          unit: 'ms',
          target: '≤ deadline, fault 16',
          pass: trickle.ms <= sourceTimeoutMs + 1000 && trickle.code === 16,
          notes: `answered fault ${trickle.code}`,
        },
        {
          scenario: 'receiving',
          metric: 'RSS growth meanwhile',
          measured: Math.round(growth),
          baseline: Math.round(rssBefore / 2 ** 20),
          ratio: rssPeak / rssBefore,
          unit: 'MB',
          target: `≤ ${allowed} MB (cap + 16)`,
          pass: growth <= allowed,
        },
      ] satisfies Figure[];
    } finally {
      await serve?.stop();
      sources.kill();
      generator.kill();
      await agent.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
