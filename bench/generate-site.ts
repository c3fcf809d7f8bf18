import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const WORDS =
  'static site pingback link build deploy page reader post archive feed markup content server client protocol receiver sender ledger manifest endpoint'.split(
    ' ',
  );

function paragraph(seed: number, words: number): string {
  let text = '';
  for (let i = 0; i < words; i++) text += `${WORDS[(seed * 7 + i * 13) % WORDS.length]} `;
  return text.trim();
}

/**
 * A realistic built post of about 30 KB: a head with meta, styles and a script, a nav of internal links,
 * an article with 20 links (half to other sites, some repeated with fragments, one in a comment and one
 * in a script that must not count), and a footer.
 */
export function postHtml(i: number, site: string): string {
  const nav = Array.from({ length: 12 }, (_, n) => `<a href="/section-${n}/">Section ${n}</a>`).join(' ');
  const paras: string[] = [];
  for (let p = 0; p < 20; p++) {
    const external = p % 2 === 0;
    const href = external ? `https://blog-${(i + p) % 400}.example/posts/${(i * 31 + p) % 9000}/${p === 4 ? '#comments' : ''}` : `/posts/${(i + p) % 10000}/`;
    paras.push(`<p>${paragraph(i + p, 95)} <a href="${href}" title="link ${p}">${paragraph(p, 4)}</a> ${paragraph(i * p + 3, 95)}.</p>`);
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Post ${i}: ${paragraph(i, 6)}</title>
<meta name="description" content="${paragraph(i + 1, 20)}">
<link rel="stylesheet" href="/_assets/site.${i % 7}.css"><link rel="alternate" type="application/rss+xml" href="/rss.xml">
<style>body{font:1rem/1.5 system-ui}.post a{color:#06c}nav a{margin-right:.5rem}</style>
<script type="module">const links = '<a href="https://script.example/x">not a link</a>'; console.log(links.length);</script>
</head>
<body>
<header><nav class="site-nav">${nav}</nav></header>
<main>
<article class="h-entry post">
<h1 class="p-name">Post ${i}</h1>
<div class="e-content">
<!-- <a href="https://commented.example/old">an old link</a> -->
${paras.join('\n')}
</div>
</article>
</main>
<footer><p>${paragraph(i + 9, 40)}</p><a href="${site}">Home</a> <a href="https://host.example/">Hosted</a></footer>
</body>
</html>
`;
}

/** Writes `count` posts as `posts/<n>/index.html` under `dir`; returns the file paths. */
export async function generateSite(dir: string, count: number, site: string, html: (n: number) => string = (n) => postHtml(n, site)): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, async (_, k) => {
        const n = i + k;
        const folder = join(dir, 'posts', String(n));
        await mkdir(folder, { recursive: true });
        const file = join(folder, 'index.html');
        await writeFile(file, html(n));
        files[n] = file;
      }),
    );
  }
  return files;
}

/** A Markdown post of about 25 KB: paragraphs with 20 links, half to other sites. */
export function postMarkdown(i: number): string {
  const paras: string[] = [];
  for (let p = 0; p < 20; p++) {
    const external = p % 2 === 0;
    const href = external ? `https://blog-${(i + p) % 400}.example/posts/${(i * 31 + p) % 9000}/` : `/posts/post-${(i + p) % 1000}/`;
    paras.push(`${paragraph(i + p, 95)} [${paragraph(p, 4)}](${href}) ${paragraph(i * p + 3, 95)}.`);
  }
  return `---\ntitle: Post ${i}\n---\n\n${paras.join('\n\n')}\n`;
}
