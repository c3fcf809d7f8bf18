// A child process of `pnpm bench build-pass`: the page pass over the same pages in a fresh process, first
// as a build meets them (the code not yet compiled by V8's optimising tiers), then again once it is, and
// the two times. A build's pass runs over its pages once, so the first figure is what a build pays.
import { canonicalKey, keptPage, passSettings, processPage, resolveIntegrationOptions } from '@pingback/core/build';
import { postHtml } from '../generate-site.ts';

const SITE = 'https://bench.example/';
const count = Number(process.argv[2]);
const pages = Array.from({ length: count }, (_, i) => postHtml(i, SITE));
const options = resolveIntegrationOptions({ directories: [] }, { site: SITE, siteHint: '', dryRunByDefault: true, onNetlify: false });
const settings = passSettings(options);
const pass = () => {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const url = new URL(`/posts/${i}/`, SITE);
    keptPage(processPage(pages[i]!, { url, key: canonicalKey(url) }, settings));
  }
  return performance.now() - started;
};
const first = pass();
const warm = [pass(), pass(), pass()].sort((a, b) => a - b)[1]!;
process.send!({ first, warm });
