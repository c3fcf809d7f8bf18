import type { BatchOptions, SendRow } from './batch.ts';
import { countRows, sendBatch } from './batch.ts';
import type { ResolvedClientOptions } from '../net/client-options.ts';
import { resolveClientOptions } from '../net/client-options.ts';
import type { DirectoryResult } from '../pingback/directory.ts';
import { notifyDirectories } from '../pingback/directory.ts';
import type { Ledger } from './ledger.ts';
import { decide, DEFAULT_RETRY } from './ledger.ts';
import type { Manifest, ManifestPost } from '../site/manifest.ts';
import type { SendStatus } from './batch.ts';
import { BATCH_DEFAULTS } from './batch.ts';
import { KeyedLimiter } from '../net/limiter.ts';
import { liveTargets } from './liveness.ts';
import { notPublicReason } from '../net/public-site.ts';

/** Posts whose live page is fetched at once. */
const LIVENESS_CONCURRENCY = 8;

export interface OutboxOptions extends Omit<BatchOptions, 'ledger' | 'onRow'> {
  ledger: Ledger;
  /** No network at all: report what would be checked and sent. */
  dryRun?: boolean;
  /** Check that each post is live and links to its targets before pinging it. Default true. */
  checkLive?: boolean;
  /** Tell directories about edited posts too. Default false: only about new ones. */
  notifyEdits?: boolean;
  /** Only these posts (by source URL); default all. */
  only?: (post: ManifestPost) => boolean;
  onRow?: (row: SendRow) => void;
  /**
   * Send even when the site is not on the public internet (loopback, private, `localhost`, `*.test`, …).
   * Default false: such a run sends nothing and tells no directory. For local demos and tests only.
   */
  allowPrivateNetwork?: boolean;
}

export interface OutboxReport {
  rows: SendRow[];
  counts: Record<SendStatus, number>;
  /** Pairs left untried when the time budget ran out. */
  untried: number;
  directories: DirectoryResult[];
  /** Posts seen live for the first time in this run. */
  newPosts: string[];
  /** Posts seen live before, with a different hash now. */
  editedPosts: string[];
  ms: number;
  /** Set when nothing was sent because the site is not public: why (`127.0.0.1 is not a public address`). */
  notPublic?: string;
}

/**
 * Sends a build's outbox: for each post, the pairs the ledger says are due; only those whose post is
 * live and already links to the target (a receiver fetches it to verify) are pinged, the rest stay
 * `queued` for a later run. Directories hear once per run that publishes a new post (and about edits
 * only when asked). The same code serves `pingback send`, the integrations' build mode and the Netlify
 * deploy-succeeded handler.
 */
export async function sendOutbox(manifest: Manifest, options: OutboxOptions): Promise<OutboxReport> {
  const { ledger, dryRun = false, checkLive = true, notifyEdits = false, only, onRow, allowPrivateNetwork = false, ...batchOptions } = options;
  const client: ResolvedClientOptions = resolveClientOptions({
    ...(batchOptions.dispatcher ? { dispatcher: batchOptions.dispatcher } : {}),
    ...(batchOptions.timeoutMs ? { timeoutMs: batchOptions.timeoutMs } : {}),
    ...(batchOptions.clock ? { clock: batchOptions.clock } : {}),
    ...(batchOptions.signal ? { signal: batchOptions.signal } : {}),
    site: batchOptions.site ?? manifest.site,
  });
  const clock = client.clock;
  const started = clock.now();
  // One budget for the whole run, liveness checks included: an event handler has a hard time limit.
  const deadline = started + (batchOptions.budgetMs ?? BATCH_DEFAULTS.budgetMs);
  let untried = 0;
  const policy = { ...DEFAULT_RETRY, ...batchOptions.retry };
  const rows: SendRow[] = [];
  const emit = (row: SendRow) => {
    rows.push(row);
    onRow?.(row);
  };
  const posts = manifest.posts.filter((p) => !only || only(p));

  // A local build (http://127.0.0.1:4321/, http://blog.test/) must not announce itself to Ping-O-Matic,
  // nor make strangers' receivers fetch their own loopback: nothing leaves, and the ledger is untouched, so
  // the same outbox is sent in full once the site is public.
  const notPublic = allowPrivateNetwork ? null : notPublicReason(batchOptions.site ?? manifest.site);
  if (notPublic !== null) {
    const message = `not sent: the site is not public (${notPublic})`;
    for (const post of posts) for (const target of post.targets) emit({ source: post.source, target, endpoint: null, status: 'skipped', message, attempts: 0, ms: 0 });
    return { rows, counts: countRows(rows), untried: 0, directories: [], newPosts: [], editedPosts: [], ms: Math.max(0, clock.now() - started), notPublic };
  }

  const due: { post: ManifestPost; targets: string[] }[] = [];
  for (const post of posts) {
    const targets: string[] = [];
    for (const target of post.targets) {
      const previous = await ledger.get(post.source, target);
      const decision = decide(previous, post.hash, clock.now(), policy);
      if (decision.send) targets.push(target);
      else emit({ source: post.source, target, endpoint: previous?.endpoint ?? null, status: 'skipped', message: decision.reason, attempts: previous?.attempts ?? 0, ms: 0 });
    }
    due.push({ post, targets });
  }

  const newPosts: string[] = [];
  const editedPosts: string[] = [];
  const livePosts: ManifestPost[] = [];
  const toSend: { source: string; target: string; hash: string }[] = [];
  if (dryRun) {
    for (const { post, targets } of due) {
      for (const target of targets) emit({ source: post.source, target, endpoint: null, status: 'skipped', message: 'dry run: not checked, not sent', attempts: 0, ms: 0 });
    }
  } else {
    // A post with nothing due is still checked once if it is new or changed: directories want to know.
    const limiter = new KeyedLimiter(LIVENESS_CONCURRENCY, LIVENESS_CONCURRENCY);
    await Promise.all(
      due.map(({ post, targets }) =>
        limiter.run('live', async () => {
          const known = await ledger.getPost(post.source);
          if (targets.length === 0 && known && known.hash === post.hash) return;
          if (clock.now() >= deadline) {
            for (const target of targets) {
              untried++;
              emit({ source: post.source, target, endpoint: null, status: 'retryable', message: 'not tried: the time budget ran out before the post was checked', attempts: (await ledger.get(post.source, target))?.attempts ?? 0, ms: 0 });
            }
            return;
          }
          const { up, live, reason } = checkLive ? await liveTargets(post.source, targets, client) : { up: true, live: new Set(targets), reason: '' };
          if (up) livePosts.push(post);
          for (const target of targets) {
            if (live.has(target)) toSend.push({ source: post.source, target, hash: post.hash });
            else emit({ source: post.source, target, endpoint: null, status: 'queued', message: reason, attempts: (await ledger.get(post.source, target))?.attempts ?? 0, ms: 0 });
          }
        }),
      ),
    );
    const remaining = Math.max(1, deadline - clock.now());
    const batch = await sendBatch(toSend, { ...batchOptions, budgetMs: remaining, site: batchOptions.site ?? manifest.site, ledger, onRow: emit });
    untried += batch.untried;
  }

  let directories: DirectoryResult[] = [];
  if (!dryRun) {
    const now = new Date(clock.now()).toISOString();
    for (const post of livePosts) {
      const known = await ledger.getPost(post.source);
      if (!known) newPosts.push(post.source);
      else if (known.hash !== post.hash) editedPosts.push(post.source);
      await ledger.putPost({ source: post.source, hash: post.hash, firstSeenAt: known?.firstSeenAt ?? now, lastSeenAt: now });
    }
    const changed = notifyEdits ? [...newPosts, ...editedPosts] : newPosts;
    if (changed.length > 0 && manifest.directories.length > 0) {
      directories = await notifyDirectories(
        manifest.directories,
        { name: manifest.name ?? new URL(manifest.site).host, siteUrl: manifest.site, changesUrl: changed[0]!, feedUrl: manifest.feed ?? manifest.site },
        client,
      );
    }
    await ledger.flush?.();
  }
  return { rows, counts: countRows(rows), untried, directories, newPosts, editedPosts, ms: Math.max(0, clock.now() - started) };
}
