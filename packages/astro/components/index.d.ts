// The types of `@pingback/astro/components`, for TypeScript and `astro check` alike: the components take
// their `Props` from here, so what a page is checked against is what the component reads.
import type { AvatarMode, CountWords, GroupHeadings, LinkbackKind, PublicPingback } from '@pingback/core/render';

/** The props of <Pingbacks /> and <Linkbacks />: they differ only in their default words. */
export interface LinkbacksProps {
  /** The post: `Astro.url`, or any URL or path of it. */
  url: URL | string;
  /** Heading text, or false for none. Default "Pingbacks" (<Linkbacks />: "Responses"). */
  heading?: string | false;
  headingLevel?: 2 | 3 | 4 | 5 | 6;
  /** Empty-state text, or false to render nothing when there are none. Default "No pingbacks yet." (<Linkbacks />: "No responses yet."). */
  empty?: string | false;
  /** Locale of the dates and plural rules. Default "en". */
  locale?: string;
  /** id of the section. Default "pingbacks". */
  id?: string;
  /** Which kinds, in the order of their groups. Default all: reply, mention, like, repost, bookmark. */
  kinds?: LinkbackKind | LinkbackKind[];
  /** Headings of the groups: `list` (none by default), `like`, `repost`, `bookmark` ("3 likes" by default). */
  headings?: GroupHeadings;
  /** Photos with initials behind them (true, the default), initials only, or none. */
  avatars?: AvatarMode;
}

/** The props of <PingbackCount /> and <LinkbackCount />. */
export interface CountProps {
  url: URL | string;
  /** Say the count in words: true for the default words, or the words by plural category. */
  label?: boolean | CountWords;
  /** Locale of the plural rules. Default "en". */
  locale?: string;
  /** Count only this kind, or these kinds. Default every kind. */
  kind?: LinkbackKind | LinkbackKind[];
}

/** The props of <PingbackMeta />. */
export interface PingbackMetaProps {
  frontmatter?: { pingback?: unknown; draft?: unknown; noindex?: unknown; advertise?: unknown } | undefined;
}

/** An Astro component as a page's type checker sees one: called with its props. */
type Component<Props> = (props: Props) => unknown;

/** The approved linkbacks of one post, grouped by kind; all text escaped. */
export declare const Pingbacks: Component<LinkbacksProps>;
/** <Pingbacks /> in protocol-neutral words ("Responses"). */
export declare const Linkbacks: Component<LinkbacksProps>;
/** How many approved linkbacks a post has (of `kind`), in words with `label`. */
export declare const PingbackCount: Component<CountProps>;
/** <PingbackCount /> in protocol-neutral words. */
export declare const LinkbackCount: Component<CountProps>;
/** In a post layout's <head>: <meta name="pingback" content="off"> for opted-out posts, drafts and noindex pages. */
export declare const PingbackMeta: Component<PingbackMetaProps>;
/** The optional stylesheet of <Pingbacks /> and <Linkbacks />, inline. */
export declare const LinkbackStyles: Component<Record<string, never>>;

/** The canonical key of a URL, path or `Astro.url`. */
export declare function keyOf(url: URL | string): string;
/** The approved linkbacks of a post, oldest first; with `kind` (one kind or a list), only those. */
export declare function pingbacksFor(url: URL | string, kind?: LinkbackKind | LinkbackKind[]): PublicPingback[];
/** How many there are (of `kind`, when given): always the length of `pingbacksFor(url, kind)`. */
export declare function pingbackCount(url: URL | string, kind?: LinkbackKind | LinkbackKind[]): number;
/** `pingbacksFor`, in protocol-neutral words. */
export declare const linkbacksFor: typeof pingbacksFor;
/** `pingbackCount`, in protocol-neutral words. */
export declare const linkbackCount: typeof pingbackCount;
