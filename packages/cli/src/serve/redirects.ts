import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { PathPattern, Redirect } from '@pingback/core';
import { canonicalKeyOfPath, compilePathPattern, matchPathPattern, parseRedirectsFile } from '@pingback/core';

/** What a request path is answered with when a redirect rule applies. */
export type RedirectAnswer = { kind: 'redirect'; status: number; location: string } | { kind: 'rewrite'; path: string };

interface Rule {
  redirect: Redirect;
  from: PathPattern;
}

/** The statuses served: redirects, and 200 for a rewrite. */
const SERVED = new Set([200, 301, 302, 303, 307, 308]);
const MAX_HOPS = 8;

/** `:name` and `:splat` in a destination, replaced by what the source matched. */
function substitute(to: string, params: Record<string, string>): string {
  return to.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (token, name: string) => params[name] ?? token);
}

/**
 * The `_redirects` file of the built site, served as Netlify serves it: rules in order, the first that
 * matches wins; `:name` is one segment and a final `*` the rest (`:splat`); a rule applies only where no
 * file exists unless it is forced (`301!`); 3xx answers with `Location`, 200 shows the destination at the
 * old path. Rules with conditions or query matches, and other statuses, are left to Netlify. Read again
 * when the file changes (one `stat` a request), so a rebuild is seen at once.
 */
export class SiteRedirects {
  private readonly path: string;
  private readonly site: string;
  private stamp = '';
  private rules: Rule[] = [];

  constructor(root: string, site: string) {
    this.path = join(root, '_redirects');
    this.site = site;
  }

  refresh(): void {
    let stamp: string;
    try {
      const s = statSync(this.path);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      stamp = 'none';
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    let text = '';
    try {
      if (stamp !== 'none') text = readFileSync(this.path, 'utf8');
    } catch {
      text = '';
    }
    this.rules = parseRedirectsFile(text, this.path)
      .filter((r) => SERVED.has(r.status) && !r.conditional && r.from.startsWith('/'))
      .map((redirect) => ({ redirect, from: compilePathPattern(redirect.from, 'from') }));
  }

  /** The rule that answers a path, given whether a file exists there. */
  find(pathname: string, fileExists: boolean): RedirectAnswer | null {
    const key = canonicalKeyOfPath(pathname, this.site);
    for (const { redirect, from } of this.rules) {
      if (fileExists && !redirect.force) continue;
      const params = matchPathPattern(from, key);
      if (!params) continue;
      const to = substitute(redirect.to, params);
      if (redirect.status !== 200) return { kind: 'redirect', status: redirect.status, location: to };
      // A rewrite to another host is a proxy: Netlify's to serve, not this static server's.
      if (!to.startsWith('/')) continue;
      return { kind: 'rewrite', path: new URL(to, this.site).pathname };
    }
    return null;
  }

  /** Where an old key leads on this site through the rules (followed through chains), or undefined. */
  destinationKey(key: string, fileExists: (key: string) => boolean): string | undefined {
    let current = key;
    for (let i = 0; i < MAX_HOPS; i++) {
      const answer = this.find(current, fileExists(current));
      if (!answer) break;
      const to = answer.kind === 'rewrite' ? answer.path : answer.location;
      const url = URL.parse(to, this.site);
      if (!url || url.origin !== new URL(this.site).origin) break;
      const next = canonicalKeyOfPath(url.pathname, this.site);
      if (next === current) break;
      current = next;
    }
    return current === key ? undefined : current;
  }
}
