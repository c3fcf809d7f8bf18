import { getCollection } from 'astro:content';
import type { APIContext } from 'astro';

const escapeXml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export async function GET({ site }: APIContext) {
  const posts = (await getCollection('posts', (p) => !p.data.draft)).sort((a, b) => b.data.date.valueOf() - a.data.date.valueOf());
  const items = posts
    .map(
      (p) =>
        `<item><title>${escapeXml(p.data.title)}</title><link>${new URL(`/posts/${p.id}/`, site)}</link><description>${escapeXml(p.data.summary)}</description><pubDate>${p.data.date.toUTCString()}</pubDate></item>`,
    )
    .join('');
  const body = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Astro Example Blog</title><link>${site}</link><description>The Astro example of the pingback suite</description>${items}</channel></rss>`;
  return new Response(body, { headers: { 'content-type': 'application/rss+xml; charset=utf-8' } });
}
