/**
 * The fewest Netlify header paths that cover exactly the advertised pages among all built pages, as
 * canonical keys (`/posts/hello`). Netlify matches `/dir/*` against `/dir` itself and everything below,
 * `/dir/:slug` against exactly one segment below, and a plain path with or without a trailing slash.
 */
interface Node {
  children: Map<string, Node>;
  page: boolean;
  advertised: boolean;
}

const node = (): Node => ({ children: new Map(), page: false, advertised: false });

function allAdvertised(n: Node): boolean {
  if (n.page && !n.advertised) return false;
  for (const child of n.children.values()) if (!allAdvertised(child)) return false;
  return true;
}

function anyAdvertised(n: Node): boolean {
  if (n.advertised) return true;
  for (const child of n.children.values()) if (anyAdvertised(child)) return true;
  return false;
}

function collect(n: Node, path: string, out: string[]): void {
  if (!anyAdvertised(n)) return;
  const base = path === '/' ? '' : path;
  if (allAdvertised(n)) {
    out.push(n.children.size === 0 ? path : `${base}/*`);
    return;
  }
  const kids = [...n.children.entries()];
  if (kids.length > 1 && kids.every(([, c]) => c.children.size === 0 && c.page && c.advertised)) {
    out.push(`${base}/:slug`);
    if (n.advertised) out.push(path);
    return;
  }
  if (n.advertised) out.push(path);
  for (const [name, child] of kids.sort(([a], [b]) => (a < b ? -1 : 1))) collect(child, `${base}/${name}`, out);
}

export function headerPaths(advertised: readonly string[], built: readonly string[]): string[] {
  const root = node();
  const at = (key: string): Node => {
    let n = root;
    for (const part of key.split('/').filter(Boolean)) {
      let next = n.children.get(part);
      if (!next) {
        next = node();
        n.children.set(part, next);
      }
      n = next;
    }
    return n;
  };
  for (const key of built) at(key).page = true;
  for (const key of advertised) {
    const n = at(key);
    n.page = true;
    n.advertised = true;
  }
  const out: string[] = [];
  collect(root, '/', out);
  return out;
}

export interface HeaderRule {
  for: string;
  values: Record<string, string>;
}

export function xPingbackRules(paths: readonly string[], endpoint: string): HeaderRule[] {
  return linkbackRules(paths, { pingback: endpoint });
}

/** The value of the `Link` header that announces a Webmention endpoint (W3C Webmention §3.1.2). */
export function webmentionLinkHeader(endpoint: string): string {
  return `<${endpoint}>; rel="webmention"`;
}

/**
 * The header rules that announce the endpoints on the advertised pages: `X-Pingback` for Pingback, a
 * `Link` with rel="webmention" for Webmention, each only when given. `webmentionPaths`, when it is not
 * `paths` itself (some pages take pingbacks only), gets the Link header in rules of its own: Netlify
 * applies every rule that matches a path, so a page under both gets both headers.
 */
export function linkbackRules(
  paths: readonly string[],
  endpoints: { pingback?: string; webmention?: string },
  webmentionPaths: readonly string[] = paths,
): HeaderRule[] {
  const same = webmentionPaths.length === paths.length && webmentionPaths.every((p, i) => p === paths[i]);
  if (!same && endpoints.webmention) {
    const link = webmentionLinkHeader(endpoints.webmention);
    return [
      ...(endpoints.pingback ? paths.map((path) => ({ for: path, values: { 'X-Pingback': endpoints.pingback! } })) : []),
      ...webmentionPaths.map((path) => ({ for: path, values: { Link: link } })),
    ];
  }
  const values: Record<string, string> = {};
  if (endpoints.pingback) values['X-Pingback'] = endpoints.pingback;
  if (endpoints.webmention) values.Link = webmentionLinkHeader(endpoints.webmention);
  if (Object.keys(values).length === 0) return [];
  return paths.map((path) => ({ for: path, values: { ...values } }));
}

/**
 * Whether a header rule is one of ours, so a rebuild replaces only those: it sets X-Pingback, or only a
 * Link that announces a Webmention endpoint (a rule of the site's own with other headers is left alone).
 */
export function isOurRule(rule: unknown): boolean {
  const values = (rule as HeaderRule)?.values;
  if (typeof values !== 'object' || values === null) return false;
  const keys = Object.keys(values).map((k) => k.toLowerCase());
  if (keys.includes('x-pingback')) return true;
  const link = Object.entries(values).find(([k]) => k.toLowerCase() === 'link')?.[1];
  return keys.length === 1 && typeof link === 'string' && /^<[^>]*>; rel="webmention"$/.test(link);
}

export interface RedirectRule {
  from: string;
  to: string;
  status: number;
  force: boolean;
}

/**
 * One rule per gone post (§3.1.5: a deleted post SHOULD answer 410 Gone): Netlify serves the tombstone
 * page with status 410 at the post's path, with or without its trailing slash, even if a file is there.
 */
export function goneRules(keys: readonly string[], tombstone: string): RedirectRule[] {
  return keys.filter((key) => key !== '/').map((key) => ({ from: key, to: tombstone, status: 410, force: true }));
}

/** Whether a redirect rule is one of ours, so a rebuild replaces only those. */
export function isOurRedirect(rule: unknown, tombstone: string): boolean {
  const r = rule as RedirectRule;
  return typeof r === 'object' && r !== null && r.to === tombstone && r.status === 410;
}
