import { decodeText } from './char-refs.ts';
import { ContentRanges } from './content-ranges.ts';
import { ElementStack, SelectorPlan } from './element-stack.ts';
import { END_TAG, EOF, HtmlScanner, hasToken, lengthBit } from './html-scan.ts';
import type { SelectorList } from './selector.ts';
import { parseSelector } from './selector.ts';

/**
 * Which part of a page is the post. A string is one CSS selector list (its matches are the content); an
 * array is a priority list: the first entry that matches anything on the page is the content.
 */
export type ContentOption = string | readonly string[];

/** `.e-content` (microformats) if the page has it, else the article, else main, else the body. */
export const DEFAULT_CONTENT: readonly string[] = ['.e-content', 'article', 'main', 'body'];

/** Links in these never count: navigation, and anything the author marks. */
export const DEFAULT_EXCLUDE = 'nav, .no-pingback, [data-no-pingback]';

export interface PageScanSettings {
  content: SelectorList[];
  exclude: SelectorList | null;
}

/** Parses the content and exclude options once; `option` prefixes the option names in errors. */
export function pageScanSettings(content: ContentOption = DEFAULT_CONTENT, exclude: string | null = DEFAULT_EXCLUDE, option = ''): PageScanSettings {
  const name = (key: string) => (option ? `${option}.${key}` : key);
  const alternatives = typeof content === 'string' ? [content] : [...content];
  if (alternatives.length === 0 || alternatives.length > 16) {
    throw new RangeError(`${name('content')} must list 1 to 16 selectors`);
  }
  return {
    content: alternatives.map((s, i) => parseSelector(s, typeof content === 'string' ? name('content') : `${name('content')}[${i}]`)),
    exclude: exclude === null || exclude.trim() === '' ? null : parseSelector(exclude, name('exclude')),
  };
}

const DEFAULT_SETTINGS = pageScanSettings();

export interface PageScan {
  /** Where a `<link rel="pingback">` belongs: just before `</head>`, or the best place a browser would take as head. */
  insertAt: number;
  /** Whether `insertAt` is a real `</head>`. */
  hasHeadEnd: boolean;
  /** The first `<link>` whose rel includes `pingback`, if any. */
  pingback: { href: string; relBeforeHref: boolean; start: number; end: number } | null;
  /** The first `<link>` whose rel includes `webmention`, if any. */
  webmention: { href: string } | null;
  /** `<meta name="robots">` says noindex (or none). */
  noindex: boolean;
  baseHref: string | null;
  canonical: string | null;
  /** `href`s (entity-decoded, as written) of the links inside the content, in document order. */
  links: string[];
  /** The content selector that matched, or null when none did (then `links` is empty). */
  contentSelector: string | null;
  /** Where that content is in the page: `[start, end)` offsets, in pairs, in document order. */
  contentRanges: number[];
  /** The page opts out of pingbacks: `<meta name="pingback" content="off">` or `data-pingback="off"` on any element. */
  optOut: boolean;
  /** The page takes pingbacks only: `<meta name="webmention" content="off">` (front matter `advertise: { webmention: false }`). */
  webmentionOff: boolean;
  /** The text of the first `<title>`, entity-decoded. */
  title: string | null;
  /** The href of the first `<link rel="alternate">` with an RSS or Atom type. */
  feed: string | null;
}

/** The content and exclude lists compiled for matching, once per settings (a build's pages share them). */
const plans = new WeakMap<PageScanSettings, SelectorPlan>();
function planOf(settings: PageScanSettings): SelectorPlan {
  let plan = plans.get(settings);
  if (!plan) {
    plan = new SelectorPlan(settings.exclude ? [...settings.content, settings.exclude] : settings.content);
    plans.set(settings, plan);
  }
  return plan;
}

/** Tags with no attribute name as long as `data-pingback` cannot opt the page out: most are settled by this bit. */
const DATA_PINGBACK = lengthBit('data-pingback'.length);

function isOff(value: string | null): boolean {
  const v = value?.trim().toLowerCase();
  return v === 'off' || v === 'false' || v === 'no';
}

/** What the tags read by name (the head's, mostly) tell of a page, gathered as the scan meets them. */
class NamedTags {
  bodyStart = -1;
  htmlOpenEnd = -1;
  headOpenEnd = -1;
  pingback: PageScan['pingback'] = null;
  webmention: PageScan['webmention'] = null;
  noindex = false;
  baseHref: string | null = null;
  canonical: string | null = null;
  optOut = false;
  webmentionOff = false;
  title: string | null = null;
  feed: string | null = null;

  /**
   * A start tag looked at by name (html, head, body, link, title, meta, base). Apart from the scan's loop,
   * which then stays small: the optimizing compiler takes it sooner, and a build's first pages pay less.
   */
  take(name: string, scanner: HtmlScanner, html: string): void {
    switch (name) {
      case 'html':
        if (this.htmlOpenEnd < 0) this.htmlOpenEnd = scanner.end;
        break;
      case 'head':
        if (this.headOpenEnd < 0) this.headOpenEnd = scanner.end;
        break;
      case 'body':
        if (this.bodyStart < 0) this.bodyStart = scanner.start;
        break;
      case 'link': {
        const rel = scanner.attr('rel');
        if (this.pingback === null && hasToken(rel, 'pingback')) {
          const relAt = scanner.attrIndex('rel');
          const hrefAt = scanner.attrIndex('href');
          this.pingback = {
            href: scanner.attr('href') ?? '',
            relBeforeHref: hrefAt >= 0 && relAt < hrefAt,
            start: scanner.start,
            end: scanner.end,
          };
        }
        if (this.webmention === null && hasToken(rel, 'webmention')) this.webmention = { href: scanner.attr('href') ?? '' };
        if (this.canonical === null && hasToken(rel, 'canonical')) this.canonical = scanner.attr('href');
        if (this.feed === null && hasToken(rel, 'alternate') && /^application\/(rss|atom)\+xml$/i.test(scanner.attr('type')?.trim() ?? '')) {
          this.feed = scanner.attr('href');
        }
        break;
      }
      case 'title':
        if (this.title === null) {
          const end = html.indexOf('</', scanner.end);
          this.title = decodeText(html.slice(scanner.end, end < 0 ? html.length : end))
            .replace(/\s+/g, ' ')
            .trim();
        }
        break;
      case 'meta': {
        const metaName = scanner.attr('name')?.toLowerCase();
        if (!this.noindex && metaName === 'robots') {
          const directives = (scanner.attr('content') ?? '')
            .toLowerCase()
            .split(',')
            .map((d) => d.trim());
          this.noindex = directives.includes('noindex') || directives.includes('none');
        }
        if (metaName === 'pingback' && isOff(scanner.attr('content'))) this.optOut = true;
        if (metaName === 'webmention' && isOff(scanner.attr('content'))) this.webmentionOff = true;
        break;
      }
      case 'base':
        if (this.baseHref === null) this.baseHref = scanner.attr('href');
        break;
    }
  }
}

/**
 * One pass over a built page: where the head ends, whether it already advertises an endpoint, whether it
 * is noindex, and which links sit inside its content. Comments, scripts, styles, templates and excluded
 * regions never contribute a link.
 */
export function scanPage(html: string, settings: PageScanSettings = DEFAULT_SETTINGS): PageScan {
  const scanner = new HtmlScanner(html);
  const excludeBit = settings.exclude ? 1 << settings.content.length : 0;
  const stack = new ElementStack(planOf(settings));
  const found: { href: string; inside: number }[] = [];
  const tags = new NamedTags();
  let headEnd = -1;
  const ranges = new ContentRanges(settings.content.length);
  let prevEnd = 0;

  for (let kind = scanner.next(); kind !== EOF; kind = scanner.next()) {
    const name = scanner.name;
    const before = stack.current.inside;
    if (kind === END_TAG) {
      if (name === 'head' && headEnd < 0) headEnd = scanner.start;
      ranges.cover(before, prevEnd, scanner.end);
      prevEnd = scanner.end;
      stack.close(name);
      continue;
    }
    // The elements looked at by name have five letters or fewer, and none is one letter (a, p, b, i).
    if (name.length <= 5 && name.length > 1) tags.take(name, scanner, html);
    if (!tags.optOut && (scanner.lengths & DATA_PINGBACK) !== 0 && isOff(scanner.attr('data-pingback'))) tags.optOut = true;
    const entry = stack.open(scanner);
    // Text before a tag belongs to the element it sits in; the tag to the element it opens (mostly the same).
    if (entry.inside === before) ranges.cover(before, prevEnd, scanner.end);
    else {
      ranges.cover(before, prevEnd, scanner.start);
      ranges.cover(entry.inside, scanner.start, scanner.end);
    }
    prevEnd = scanner.end;
    if ((name === 'a' || name === 'area') && !entry.inert && (entry.inside & excludeBit) === 0) {
      const href = scanner.attr('href');
      if (href !== null) found.push({ href, inside: entry.inside });
    }
  }

  let chosen = -1;
  for (let l = 0; l < settings.content.length; l++) {
    if (stack.matched & (1 << l)) {
      chosen = l;
      break;
    }
  }
  const links = chosen < 0 ? [] : found.filter((f) => f.inside & (1 << chosen)).map((f) => f.href);
  if (chosen >= 0) ranges.cover(stack.current.inside & (1 << chosen), prevEnd, scanner.start);
  ranges.settle();

  const { bodyStart, headOpenEnd, htmlOpenEnd, pingback, webmention, noindex, baseHref, canonical, optOut, webmentionOff, title, feed } = tags;
  let insertAt: number;
  if (headEnd >= 0) insertAt = headEnd;
  else if (bodyStart >= 0) insertAt = bodyStart;
  else if (headOpenEnd >= 0) insertAt = headOpenEnd;
  else if (htmlOpenEnd >= 0) insertAt = htmlOpenEnd;
  else insertAt = Math.max(0, scanner.doctypeEnd);

  return {
    insertAt,
    hasHeadEnd: headEnd >= 0,
    pingback,
    webmention,
    noindex,
    baseHref,
    canonical,
    links,
    contentSelector: chosen < 0 ? null : (settings.content[chosen]?.source ?? null),
    contentRanges: chosen < 0 ? [] : ranges.lists[chosen]!,
    optOut,
    webmentionOff,
    title,
    feed,
  };
}
