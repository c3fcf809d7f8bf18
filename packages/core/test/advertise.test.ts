import { describe, expect, it } from 'vitest';
import { resolveIntegrationOptions } from '../src/build/options.ts';
import { pageInfo, passSettings, processPage } from '../src/build/page-pass.ts';
import { buildManifest } from '../src/build/manifest-builder.ts';
import { manifestAdvertises, parseManifest } from '../src/site/manifest.ts';

const SITE = new URL('https://blog.example/');
const context = { site: SITE, siteHint: '', dryRunByDefault: true, onNetlify: false };
const post =
  '<!doctype html><html><head><title>Hello</title></head><body><article><p>A <a href="https://other.example/x">link</a>.</p></article></body></html>';
const run = (options: Parameters<typeof resolveIntegrationOptions>[0], html = post, path = '/posts/hello/') => {
  const resolved = resolveIntegrationOptions(options, context);
  return { resolved, page: processPage(html, pageInfo(SITE, path), passSettings(resolved)) };
};

describe('announcing the endpoints on the pages', () => {
  it('puts <link rel="webmention"> beside the pingback one on every post, before </head>, by default', () => {
    const { page } = run({});
    expect(page.html).toContain(
      '<link rel="pingback" href="https://blog.example/xmlrpc"><link rel="webmention" href="https://blog.example/webmention"></head>',
    );
    expect(page.advertised).toBe(true);
    expect(run({}, post, '/about/').page.html).toBe(post);
  });

  it('switches each protocol off on its own, the page still taking linkbacks', () => {
    const noPingback = run({ advertise: { pingback: false } }).page;
    expect(noPingback.html).toContain('<link rel="webmention" href="https://blog.example/webmention"></head>');
    expect(noPingback.html).not.toContain('rel="pingback"');
    const noWebmention = run({ advertise: { webmention: false, pages: 'all' } }, post, '/about/').page;
    expect(noWebmention.html).toContain('<link rel="pingback" href="https://blog.example/xmlrpc"></head>');
    expect(noWebmention.html).not.toContain('rel="webmention"');
    const neither = run({ advertise: { pingback: false, webmention: false } }).page;
    expect(neither.html).toBe(post);
    expect(neither.advertised).toBe(true);
  });

  it('a post that takes pingbacks only (<meta name="webmention" content="off">, or front matter) announces Pingback alone', () => {
    const meta = run({}, post.replace('</head>', '<meta name="webmention" content="off"></head>')).page;
    expect(meta.html).toContain('<link rel="pingback" href="https://blog.example/xmlrpc"></head>');
    expect(meta.html).not.toContain('rel="webmention"');
    expect(meta).toMatchObject({ advertised: true, pingbackOnly: true, excluded: null, targets: ['https://other.example/x'] });
    const resolved = resolveIntegrationOptions({}, context);
    const fromFrontMatter = processPage(post, { ...pageInfo(SITE, '/posts/hello/'), pingbackOnly: true }, passSettings(resolved));
    expect(fromFrontMatter).toMatchObject({ advertised: true, pingbackOnly: true });
    expect(fromFrontMatter.html).not.toContain('rel="webmention"');
    expect(run({}).page.pingbackOnly).toBe(false);
    // A site that announces no Webmention anywhere has no page that is an exception.
    expect(run({ advertise: { webmention: false } }, post.replace('</head>', '<meta name="webmention" content="off"></head>')).page.pingbackOnly).toBe(false);
  });

  it('moves the Webmention endpoint with webmentionPath, and escapes it', () => {
    expect(run({ webmentionPath: '/wm' }).page.html).toContain('<link rel="webmention" href="https://blog.example/wm">');
  });

  it("adds nothing to a page that already has its link (a rebuild, an incremental build, the author's own)", () => {
    const once = run({}).page.html;
    expect(run({}, once).page).toMatchObject({ changed: false, html: once });
    const own = post.replace('</head>', '<link rel="webmention" href="https://webmention.io/blog/webmention"></head>');
    const kept = run({}, own).page.html;
    expect(kept.match(/rel="webmention"/g)).toHaveLength(1);
    expect(kept).toContain('https://webmention.io/blog/webmention');
  });

  it('checks the option: a typo, a wrong type, and a Webmention path that is the XML-RPC one are refused with the fix', () => {
    expect(() => run({ advertise: { webmentoin: true } as never })).toThrow(
      /option `advertise.webmentoin` is not a known option\. Did you mean `webmention`\?/,
    );
    expect(() => run({ advertise: { pingback: 'yes' } as never })).toThrow(/option `advertise.pingback` must be true or false/);
    expect(() => run({ advertise: { pages: 'some' } as never })).toThrow(/option `advertise.pages` must be one of "posts", "all"/);
    expect(() => run({ advertise: 3 as never })).toThrow(/option `advertise` must be "posts", "all" or an object/);
    expect(() => run({ webmentionPath: '/xmlrpc' })).toThrow(/option `webmentionPath` is "\/xmlrpc", the path of the XML-RPC endpoint too/);
    expect(run({ advertise: 'all' }).resolved).toMatchObject({ advertise: 'all', advertiseProtocols: { pingback: true, webmention: true } });
  });
});

describe('the manifest says what is announced', () => {
  it('records the Webmention endpoint and the switches; one from before Webmention reads as Pingback only', () => {
    const { resolved, page } = run({ advertise: { pingback: false } });
    const manifest = buildManifest([page], {
      site: SITE,
      endpoint: resolved.endpoint,
      webmention: resolved.webmentionEndpoint,
      advertise: resolved.advertiseProtocols,
      hosts: [],
      directories: [],
      feed: null,
      name: 'Blog',
      generator: 'test',
    });
    expect(manifest).toMatchObject({
      endpoint: 'https://blog.example/xmlrpc',
      webmention: 'https://blog.example/webmention',
      advertise: { pingback: false, webmention: true },
      pages: ['/posts/hello'],
    });
    expect(manifestAdvertises(parseManifest(JSON.parse(JSON.stringify(manifest))))).toEqual({ pingback: false, webmention: true });
    const old = {
      version: 1,
      site: 'https://blog.example/',
      endpoint: 'https://blog.example/xmlrpc',
      hosts: [],
      pages: [],
      posts: [],
      directories: [],
      feed: null,
    };
    expect(manifestAdvertises(parseManifest(old))).toEqual({ pingback: true, webmention: false });
    expect(() => parseManifest({ ...old, webmention: '/webmention' })).toThrow(/`webmention` must be an absolute http\(s\) URL/);
    expect(() => parseManifest({ ...old, advertise: { pingback: true } })).toThrow(/`advertise` must be an object/);
  });

  it('lists the pages that take pingbacks only, and answers for each page what it announces', () => {
    const resolved = resolveIntegrationOptions({}, context);
    const page = (path: string, html = post) => processPage(html, pageInfo(SITE, path), passSettings(resolved));
    const pages = [page('/posts/hello/'), page('/posts/old/', post.replace('</head>', '<meta name="webmention" content="off"></head>'))];
    const manifest = parseManifest(
      JSON.parse(
        JSON.stringify(
          buildManifest(pages, {
            site: SITE,
            endpoint: resolved.endpoint,
            webmention: resolved.webmentionEndpoint,
            advertise: resolved.advertiseProtocols,
            hosts: [],
            directories: [],
            feed: null,
            name: 'Blog',
            generator: 'test',
          }),
        ),
      ),
    );
    expect(manifest).toMatchObject({ pages: ['/posts/hello', '/posts/old'], pingbackOnly: ['/posts/old'] });
    expect(manifestAdvertises(manifest, '/posts/old')).toEqual({ pingback: true, webmention: false });
    expect(manifestAdvertises(manifest, '/posts/hello')).toEqual({ pingback: true, webmention: true });
    expect(manifestAdvertises(manifest)).toEqual({ pingback: true, webmention: true });
    expect(
      buildManifest([pages[0]!], { site: SITE, endpoint: resolved.endpoint, hosts: [], directories: [], feed: null, name: 'Blog', generator: 'test' }),
    ).not.toHaveProperty('pingbackOnly');
    expect(() => parseManifest({ ...manifest, pingbackOnly: ['posts/old'] })).toThrow(/`pingbackOnly` must be an array of canonical keys starting with "\/"/);
  });
});
