import { describe, expect, it } from 'vitest';
import { buildManifest } from '../src/build/manifest-builder.ts';
import { resolveIntegrationOptions } from '../src/build/options.ts';
import { keptPage, pageInfo, passSettings, processPage } from '../src/build/page-pass.ts';

const SITE = new URL('https://blog.example/');
const resolved = resolveIntegrationOptions({}, { site: SITE, siteHint: '', dryRunByDefault: true, onNetlify: false });
const settings = passSettings(resolved);
const page = (i: number) =>
  `<!doctype html><html><head><title>Post number ${i}, a long enough title</title><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body><article class="h-entry"><div class="e-content"><p>See <a href="https://other.example/posts/${i}/">this post</a> and <a href="/posts/${i + 1}/">the next</a>.</p></div></article></body></html>`;

describe('what an integration keeps of a page after the pass', () => {
  it('builds the same manifest as the whole result, without the page text, its links or its content ranges', () => {
    const results = [0, 1, 2].map((i) => processPage(page(i), pageInfo(SITE, i === 0 ? '/' : `/posts/${i}/`), settings));
    const kept = results.map(keptPage);
    const input = { site: SITE, endpoint: resolved.endpoint, hosts: [], directories: [], feed: undefined, name: undefined, generator: 'test' };
    expect(buildManifest(kept, input)).toEqual(buildManifest(results, input));
    for (const [i, k] of kept.entries()) {
      expect(k).toMatchObject({ html: '', key: results[i]!.key, targets: results[i]!.targets, hash: results[i]!.hash, contentHash: results[i]!.contentHash });
      expect(k.scan).toMatchObject({
        links: [],
        contentRanges: [],
        title: results[i]!.scan.title,
        feed: '/feed.xml',
        contentSelector: results[i]!.scan.contentSelector,
      });
    }
    expect(kept[1]!.targets).toEqual(['https://other.example/posts/1/']);
  });
});
