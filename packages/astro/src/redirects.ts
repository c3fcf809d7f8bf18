import type { Redirect } from '@pingback/core/build';

/** One route of Astro's notation in Netlify's, which the core reads: `[slug]` → `:slug`, `[...rest]` → `*` / `:splat`. */
function notation(route: string, side: 'from' | 'to', rest: string | null): string {
  return route.replace(/\[(\.\.\.)?([^\]/]+)\]/g, (_, spread: string | undefined, name: string) => {
    if (!spread) return `:${name}`;
    if (side === 'from') return '*';
    return name === rest ? ':splat' : `:${name}`;
  });
}

/**
 * Astro's `redirects` config (`{ '/old': '/new', '/blog/[...slug]': '/articles/[...slug]', '/x': { status:
 * 302, destination: '/y' } }`) as the redirects the core turns into aliases. Without an adapter Astro
 * writes each as a page that refreshes to the destination; with one, as the host's redirect.
 */
export function astroRedirects(redirects: Record<string, unknown> | undefined): Redirect[] {
  const out: Redirect[] = [];
  for (const [from, value] of Object.entries(redirects ?? {})) {
    const destination = typeof value === 'string' ? value : (value as { destination?: unknown } | null)?.destination;
    if (typeof destination !== 'string') continue;
    const status =
      typeof value === 'object' && value !== null && typeof (value as { status?: unknown }).status === 'number' ? (value as { status: number }).status : 301;
    const rest = /\[\.\.\.([^\]/]+)\]/.exec(from)?.[1] ?? null;
    out.push({
      from: notation(from, 'from', rest),
      to: notation(destination, 'to', rest),
      status,
      force: false,
      conditional: false,
      origin: `astro.config redirects[${JSON.stringify(from)}]`,
    });
  }
  return out;
}
