import { createInterface } from 'node:readline';
import type { Served } from '../packages/cli/test/serve-support.ts';
import { startServe, writeServedSite } from '../packages/cli/test/serve-support.ts';

/** The site the receiving benches receive for: posts p0… under /posts/, built and with a manifest. */
export const BENCH_SITE = 'https://receiver.example/';

export interface BenchSite {
  root: string;
  manifest: string;
  posts: number;
}

/** Writes the built site and manifest `pingback serve` takes into `dir`: `posts` posts, `/posts/p<n>/`. */
export async function writeBenchSite(dir: string, posts: number): Promise<BenchSite> {
  const written = await writeServedSite(
    dir,
    BENCH_SITE,
    Array.from({ length: posts }, (_, p) => `p${p}`),
  );
  return { ...written, posts };
}

export interface BenchServe extends Served {
  pid: number;
  /** Calls `listener` with each line serve writes to stderr (one per pingback, one per verified Webmention). */
  onLine(listener: (line: string) => void): void;
}

/**
 * `pingback serve` over `site`, keeping its records in `store` (a directory or a database URL), as a user
 * starts it but with loopback sources allowed and the rate limits off (`--rate-limit 0`): a bench sends
 * far more from one client and one source host than the production default of 10 a minute lets through.
 */
export async function serveBenchSite(site: BenchSite, store: string, args: readonly string[] = []): Promise<BenchServe> {
  const served = await startServe(
    ['--root', site.root, '--manifest', site.manifest, '--store', store, '--allow-private-network', '--rate-limit', '0', ...args],
    process.cwd(),
  );
  const lines = createInterface({ input: served.child.stderr! });
  return {
    ...served,
    pid: served.child.pid!,
    onLine: (listener) => void lines.on('line', listener),
  };
}
