import type { OutboxReport } from '../send/outbox.ts';
import type { ReadResult } from '../read/read-pingbacks.ts';
import type { PageResult } from './page-pass.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The lines both integrations log, one per stage, in the same words. */
export const summary = {
  pass(pages: readonly PageResult[], ms: number): string {
    // One loop: this runs once per build over every page, cold.
    let advertised = 0;
    let had = 0;
    let posts = 0;
    let noindex = 0;
    let optOut = 0;
    let links = 0;
    let cached = 0;
    for (const p of pages) {
      if (p.advertised) {
        advertised++;
        if (p.hadLink) had++;
      }
      if (p.isPost) {
        posts++;
        links += p.targets.length;
        if (p.excluded === 'noindex') noindex++;
        else if (p.excluded === 'opt-out') optOut++;
      }
      if (p.cached) cached++;
    }
    const excluded =
      noindex + optOut > 0
        ? ` (${[noindex ? `${noindex} noindex` : '', optOut ? `${optOut} opted out or drafts` : ''].filter(Boolean).join(', ')} left alone)`
        : '';
    return `advertised on ${plural(advertised, 'page')}${had ? ` (${had} already had the link)` : ''}, ${plural(posts, 'post')} scanned${excluded}, ${plural(links, 'link')} to other sites, in ${ms} ms${cached ? ` (${plural(cached, 'page')} unchanged since the last build, not scanned again)` : ''}`;
  },
  manifest(path: string, pages: number, posts: number, changed: boolean): string {
    return `manifest ${changed ? 'written to' : 'unchanged at'} ${path} (${plural(pages, 'pingable page')}, ${plural(posts, 'post')})`;
  },
  sent(report: OutboxReport, mode: string): string {
    if (report.notPublic !== undefined) {
      const pairs = report.rows.length;
      return `pings (${mode}): nothing sent and no directory told, because the site is not public (${report.notPublic}); ${plural(pairs, 'link')} left for a run on the public site (allowPrivateNetwork / --allow-private-network sends anyway, for local tests)`;
    }
    const c = report.counts;
    const parts = [
      `${c.registered} registered`,
      `${c['already-registered']} already done`,
      `${c.refused} refused`,
      `${c.retryable} retryable`,
      `${c['no-endpoint']} no endpoint`,
      `${c.queued} queued${c.queued ? ': run `pingback send` after deploy' : ''}`,
    ];
    if (c.skipped) parts.push(`${c.skipped} skipped (done before, or not due)`);
    return `pings (${mode}): ${parts.join(', ')}, in ${(report.ms / 1000).toFixed(1)} s`;
  },
  directories(report: OutboxReport): string {
    if (report.directories.length === 0) return report.newPosts.length ? 'directories: none configured' : 'directories: not notified (no new post)';
    const ok = report.directories.filter((d) => d.status === 'notified').length;
    return `directories: ${ok} of ${report.directories.length} notified about ${plural(report.newPosts.length, 'new post')}${
      report.directories.some((d) => d.status !== 'notified')
        ? ` (${report.directories
            .filter((d) => d.status !== 'notified')
            .map((d) => `${new URL(d.service).host}: ${d.message}`)
            .join('; ')})`
        : ''
    }`;
  },
  read(result: ReadResult, ms: number): string {
    const pending = result.pending ? `, ${result.pending} pending moderation` : '';
    return `read ${plural(result.items.length, 'pingback')}${pending} from ${result.from} in ${ms} ms`;
  },
};
