// A child process of `pnpm bench receiving`: the load generator, in its own process so that its event loop
// is not the one serving or answering as a source. Each job it is sent is either open (one request every
// 1/rate s on a fixed schedule, whether or not earlier ones were answered: traffic as it arrives) or closed
// (`concurrency` clients each sending the next as soon as the last is answered: the throughput at
// saturation). Every request's latency runs from the time it was due, not the time it went out, so a late
// send (the generator's own lag, reported apart) or a queue in front of the server is counted, not hidden.
import { Agent, request } from 'undici';
import { parseMethodResponse, writeMethodCall } from '@pingback/core';

export interface LoadJob {
  mode: 'open' | 'closed';
  /** `direct`: the generator fetches the source itself, the baseline a receiver's overhead is set against. */
  protocol: 'pingback' | 'webmention' | 'direct';
  /** The receiver's base URL. */
  url: string;
  /** Source bases (`http://127.0.3.1:port`); request n's source is `<sources[n % length]>/s/<n>`. */
  sources: string[];
  site: string;
  posts: number;
  /** Request ids first…first + count - 1. */
  first: number;
  count: number;
  /** Open: requests a second. */
  rate?: number;
  /** Closed: clients. */
  concurrency?: number;
}

/** One request: [id, due (ms since the epoch, from performance.timeOrigin), lag (ms late), latency (ms from due), outcome]. */
export type Sent = [id: number, due: number, lag: number, latency: number, outcome: number];

export interface LoadResult {
  sent: Sent[];
  /** From the first due time to the last answer. */
  wallMs: number;
  /** The generator's own CPU over the job. */
  cpuMs: number;
}

/** A pingback's outcome: 0 registered, else its fault code; a Webmention's or a direct fetch's: its HTTP status; -1 no answer. */
export const NO_ANSWER = -1;

const agent = new Agent({ connections: 512, keepAliveTimeout: 4_000, pipelining: 1 });

async function send(job: LoadJob, id: number): Promise<number> {
  const source = `${job.sources[id % job.sources.length]}/s/${id}`;
  const target = `${job.site}posts/p${id % job.posts}/`;
  try {
    if (job.protocol === 'direct') {
      const response = await request(source, { dispatcher: agent });
      await response.body.text();
      return response.statusCode;
    }
    if (job.protocol === 'pingback') {
      const response = await request(`${job.url}/xmlrpc`, {
        method: 'POST',
        body: writeMethodCall('pingback.ping', [source, target]),
        headers: { 'content-type': 'text/xml' },
        dispatcher: agent,
      });
      const reply = parseMethodResponse(new Uint8Array(await response.body.arrayBuffer()));
      return reply.kind === 'fault' ? reply.faultCode : 0;
    }
    const response = await request(`${job.url}/webmention`, {
      method: 'POST',
      body: new URLSearchParams({ source, target }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      dispatcher: agent,
    });
    await response.body.text();
    return response.statusCode;
  } catch {
    return NO_ANSWER;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(job: LoadJob): Promise<LoadResult> {
  const sent: Sent[] = [];
  const cpu = process.cpuUsage();
  const one = async (id: number, due: number) => {
    const lag = performance.now() - due;
    const outcome = await send(job, id);
    sent.push([id, performance.timeOrigin + due, lag, performance.now() - due, outcome]);
  };
  const started = performance.now() + 20;
  if (job.mode === 'open') {
    const interval = 1000 / job.rate!;
    const pending: Promise<void>[] = [];
    let i = 0;
    while (i < job.count) {
      const wait = started + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      // Everything due by now goes out at once: a late timer makes a burst, never a gap in the schedule.
      const now = performance.now();
      while (i < job.count && started + i * interval <= now) {
        pending.push(one(job.first + i, started + i * interval));
        i++;
      }
    }
    await Promise.all(pending);
  } else {
    await sleep(started - performance.now());
    let next = 0;
    await Promise.all(
      Array.from({ length: job.concurrency! }, async () => {
        while (next < job.count) await one(job.first + next++, performance.now());
      }),
    );
  }
  const used = process.cpuUsage(cpu);
  return { sent, wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

process.on('message', (job: LoadJob) => {
  void run(job).then((result) => process.send!(result));
});
process.send!('ready');
