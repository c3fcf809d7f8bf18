import type { BatchOptions, SendRow } from './batch.ts';
import { countRows, sendBatch } from './batch.ts';
import type { ResolvedClientOptions } from '../net/client-options.ts';
import { resolveClientOptions } from '../net/client-options.ts';
import type { DirectoryResult } from '../pingback/directory.ts';
import { notifyDirectories } from '../pingback/directory.ts';
import type { Ledger, LedgerEntry, PostEntry } from './ledger.ts';
import { decide, decideDeleted, DEFAULT_RETRY, entryProtocol } from './ledger.ts';
import type { Manifest, ManifestGone, ManifestPost } from '../site/manifest.ts';
import type { PingPair } from './batch.ts';
import { isDone } from '../outcome.ts';
import { resolveProtocols } from './protocols.ts';
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
    for (const post of posts)
      for (const target of post.targets) emit({ source: post.source, target, protocol: null, endpoint: null, status: 'skipped', message, attempts: 0, ms: 0 });
    return { rows, counts: countRows(rows), untried: 0, directories: [], newPosts: [], editedPosts: [], ms: Math.max(0, clock.now() - started), notPublic };
  }

  const protocols = resolveProtocols(batchOptions.protocols);
  const lastProtocol = (e: LedgerEntry | undefined) => (e ? entryProtocol(e) : null);
  const skipped = (source: string, target: string, previous: LedgerEntry | undefined, message: string, why?: PingPair['why']) =>
    emit({
      source,
      target,
      protocol: lastProtocol(previous),
      endpoint: previous?.endpoint ?? null,
      status: 'skipped',
      message,
      attempts: previous?.attempts ?? 0,
      ms: 0,
      ...(why ? { why } : {}),
    });
  const queued = async (source: string, target: string, message: string, why?: PingPair['why']) => {
    const previous = await ledger.get(source, target);
    emit({
      source,
      target,
      protocol: lastProtocol(previous),
      endpoint: null,
      status: 'queued',
      message,
      attempts: previous?.attempts ?? 0,
      ms: 0,
      ...(why ? { why } : {}),
    });
  };

  // What each post owes: its links the ledger says are due (new, retried, or a Webmention to resend
  // because the post was edited), and the links it no longer has that had a Webmention (§3.1.4).
  const due: { post: ManifestPost; targets: string[]; removed: string[] }[] = [];
  for (const post of posts) {
    const targets: string[] = [];
    for (const target of post.targets) {
      const previous = await ledger.get(post.source, target);
      const decision = decide(previous, post.hash, clock.now(), policy, { contentHash: post.contentHash, protocols: protocols.order });
      if (decision.send) targets.push(target);
      else skipped(post.source, target, previous, decision.reason);
    }
    const known = await ledger.getPost(post.source);
    const current = new Set(post.targets);
    const removed: string[] = [];
    for (const target of known?.targets ?? []) {
      if (current.has(target)) continue;
      const previous = await ledger.get(post.source, target);
      if (!previous || previous.deleted || entryProtocol(previous) !== 'webmention') continue;
      // Delivered for an earlier version: the update is due. Tried and failed since (it is still owed,
      // so still among the post's targets): the batch retries it by the usual backoff.
      if (isDone(previous.status) ? previous.hash !== post.hash : previous.status === 'retryable') removed.push(target);
    }
    due.push({ post, targets, removed });
  }

  // Posts gone since an earlier build: each target that had a Webmention hears once that the post is gone.
  const gone: { post: ManifestGone; targets: string[] }[] = [];
  for (const post of manifest.gone ?? []) {
    if (only && !only({ source: post.source, key: post.key, targets: post.targets, hash: '' })) continue;
    const known = await ledger.getPost(post.source);
    const targets: string[] = [];
    for (const target of new Set([...post.targets, ...(known?.targets ?? [])])) {
      const previous = await ledger.get(post.source, target);
      const decision = decideDeleted(previous, clock.now(), policy);
      if (decision.send) targets.push(target);
      else if (previous) skipped(post.source, target, previous, decision.reason, 'deleted');
    }
    if (targets.length > 0) gone.push({ post, targets });
  }

  const newPosts: string[] = [];
  const editedPosts: string[] = [];
  const livePosts: { post: ManifestPost; owed: string[] }[] = [];
  const toSend: PingPair[] = [];
  const pair = (post: ManifestPost, target: string, why?: PingPair['why']): PingPair => ({
    source: post.source,
    target,
    hash: post.hash,
    ...(post.contentHash !== undefined ? { contentHash: post.contentHash } : {}),
    ...(why ? { why } : {}),
  });
  if (dryRun) {
    const skip = (source: string, target: string, why?: PingPair['why']) =>
      emit({
        source,
        target,
        protocol: why ? 'webmention' : null,
        endpoint: null,
        status: 'skipped',
        message: 'dry run: not checked, not sent',
        attempts: 0,
        ms: 0,
        ...(why ? { why } : {}),
      });
    for (const { post, targets, removed } of due) {
      for (const target of targets) skip(post.source, target);
      for (const target of removed) skip(post.source, target, 'removed');
    }
    for (const { post, targets } of gone) {
      for (const target of targets) skip(post.source, target, 'deleted');
    }
  } else {
    // A post with nothing due is still checked once if it is new or changed: directories want to know.
    const limiter = new KeyedLimiter(LIVENESS_CONCURRENCY, LIVENESS_CONCURRENCY);
    const outOfTime = async (source: string, targets: readonly string[], why?: PingPair['why']) => {
      for (const target of targets) {
        untried++;
        const previous = await ledger.get(source, target);
        emit({
          source,
          target,
          protocol: lastProtocol(previous),
          endpoint: null,
          status: 'retryable',
          message: 'not tried: the time budget ran out before the post was checked',
          attempts: previous?.attempts ?? 0,
          ms: 0,
          ...(why ? { why } : {}),
        });
      }
    };
    await Promise.all([
      ...due.map(({ post, targets, removed }) =>
        limiter.run('live', async () => {
          const known = await ledger.getPost(post.source);
          if (targets.length === 0 && removed.length === 0 && known && known.hash === post.hash && known.contentHash === post.contentHash) return;
          if (clock.now() >= deadline) {
            await outOfTime(post.source, targets);
            await outOfTime(post.source, removed, 'removed');
            return;
          }
          const { up, live, unlinked, reason } = checkLive
            ? await liveTargets(post.source, targets, client, removed)
            : { up: true, live: new Set(targets), unlinked: new Set(removed), reason: '' };
          const owed: string[] = [];
          for (const target of targets) {
            if (live.has(target)) toSend.push(pair(post, target));
            else await queued(post.source, target, reason);
          }
          // The receiver re-fetches the post to see the link gone: until the live page lost it, the update waits.
          for (const target of removed) {
            if (unlinked.has(target)) toSend.push(pair(post, target, 'removed'));
            else {
              owed.push(target);
              await queued(post.source, target, up ? 'not live yet: the published post still links to it' : reason, 'removed');
            }
          }
          if (up) livePosts.push({ post, owed });
        }),
      ),
      ...gone.map(({ post, targets }) =>
        limiter.run('live', async () => {
          if (clock.now() >= deadline) return outOfTime(post.source, targets, 'deleted');
          // §3.1.5: the receiver deletes on 410 (a 404 is no better than a network error to it), so the
          // Webmention leaves once the post answers 410 Gone where it was.
          const { status } = checkLive ? await liveTargets(post.source, [], client) : { status: 410 };
          const asPost: ManifestPost = { source: post.source, key: post.key, targets: post.targets, hash: '' };
          for (const target of targets) {
            if (status === 410) toSend.push(pair(asPost, target, 'deleted'));
            else await queued(post.source, target, `not gone yet: the post answers ${status === null ? 'nothing' : `HTTP ${status}`}, not 410 Gone`, 'deleted');
          }
        }),
      ),
    ]);
    const remaining = Math.max(1, deadline - clock.now());
    const batch = await sendBatch(toSend, {
      ...batchOptions,
      allowPrivateNetwork,
      budgetMs: remaining,
      site: batchOptions.site ?? manifest.site,
      ledger,
      onRow: emit,
    });
    untried += batch.untried;
    // An update that failed for now, or waits for its retry, is owed still: the target stays on the post
    // until it is delivered (or refused, or given up on).
    const owing = new Map<string, string[]>();
    for (const r of batch.rows) {
      if (r.why !== 'removed') continue;
      const entry = r.status === 'skipped' ? await ledger.get(r.source, r.target) : undefined;
      if (r.status === 'retryable' || (entry?.status === 'retryable' && entry.attempts < policy.maxAttempts))
        owing.set(r.source, [...(owing.get(r.source) ?? []), r.target]);
    }
    for (const entry of livePosts) entry.owed.push(...(owing.get(entry.post.source) ?? []));
  }

  let directories: DirectoryResult[] = [];
  if (!dryRun) {
    const now = new Date(clock.now()).toISOString();
    // Checks finish in any order; the ledger and the directories hear of posts in the manifest's.
    const order = new Map(manifest.posts.map((p, i) => [p.source, i]));
    livePosts.sort((a, b) => (order.get(a.post.source) ?? 0) - (order.get(b.post.source) ?? 0));
    for (const { post, owed } of livePosts) {
      const known = await ledger.getPost(post.source);
      if (!known) newPosts.push(post.source);
      else if (known.hash !== post.hash) editedPosts.push(post.source);
      const entry: PostEntry = {
        source: post.source,
        hash: post.hash,
        firstSeenAt: known?.firstSeenAt ?? now,
        lastSeenAt: now,
        targets: [...new Set([...post.targets, ...owed])],
      };
      if (post.contentHash !== undefined) entry.contentHash = post.contentHash;
      await ledger.putPost(entry);
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
