import { stat } from 'node:fs/promises';
import type { Manifest } from '@pingback/core';
import { readManifest } from '@pingback/core';

/** What identifies one version of the file without reading it: a rewrite or a rename changes it. */
async function stampOf(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (error) {
    return `unreadable:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/**
 * The build's manifest as `pingback serve` answers by it, kept up to date with the file: a rebuild that
 * adds posts makes them pingable at once, without a restart (a kept manifest would answer their pings 33,
 * which senders record as refused for good). Each request costs one `stat`; the file is read and parsed
 * again only when it changed. A manifest that can't be read or parsed (missing, half-written, invalid)
 * leaves the last good one in place, is logged once, and is tried again when the file changes again.
 */
export class LiveManifest {
  readonly path: string;
  private current: Manifest;
  private pages: Set<string>;
  private aliases: Map<string, string>;
  private stamp: string;
  /** Reloads one after the other, so an older read never lands after a newer one. */
  private queue: Promise<void> = Promise.resolve();
  private readonly log: (line: string) => void;
  private readonly onReload: (previous: Manifest, next: Manifest) => void;

  private constructor(path: string, manifest: Manifest, stamp: string, log: (line: string) => void, onReload: LiveManifest['onReload']) {
    this.path = path;
    this.current = manifest;
    this.pages = new Set(manifest.pages);
    this.aliases = new Map(Object.entries(manifest.aliases ?? {}));
    this.stamp = stamp;
    this.log = log;
    this.onReload = onReload;
  }

  /** Reads the manifest once; a `ManifestError` here means there is nothing to serve by yet. */
  static async open(path: string, log: (line: string) => void, onReload: LiveManifest['onReload'] = () => {}): Promise<LiveManifest> {
    // Stamped before reading: a change that lands during the read is picked up by the next request.
    const stamp = await stampOf(path);
    return new LiveManifest(path, await readManifest(path), stamp, log, onReload);
  }

  get manifest(): Manifest {
    return this.current;
  }

  isPingable = (key: string): boolean => this.pages.has(key);

  /** The post an old path leads to (the manifest's aliases), as of the last reload. */
  aliasOf = (key: string): string | undefined => this.aliases.get(key);

  /** Brings the manifest up to date with the file. Never throws. */
  async refresh(): Promise<void> {
    const stamp = await stampOf(this.path);
    if (stamp === this.stamp) return;
    this.queue = this.queue.then(() => this.load(stamp));
    await this.queue;
  }

  private async load(stamp: string): Promise<void> {
    if (stamp === this.stamp) return; // an earlier request's reload got there
    try {
      const next = await readManifest(this.path);
      const previous = this.current;
      const added = next.pages.filter((key) => !this.pages.has(key)).length;
      this.current = next;
      this.pages = new Set(next.pages);
      this.aliases = new Map(Object.entries(next.aliases ?? {}));
      this.log(`pingback serve: reloaded ${this.path}: ${this.pages.size} pingable pages (${added} new)`);
      this.onReload(previous, next);
    } catch (error) {
      this.log(`pingback serve: ${(error as Error).message} Still answering by the manifest read before (${this.pages.size} pingable pages).`);
    } finally {
      this.stamp = stamp;
    }
  }
}
