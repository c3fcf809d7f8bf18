import { PingbackOptionError } from '../errors.ts';
import type { LinkbackKind } from '../store/record.ts';

/**
 * The kinds in the order a list shows them by default. Kept here rather than imported from the store's
 * module so that page bundles stay free of `node:crypto`; the type below fails to compile if the two
 * lists ever differ.
 */
export const RENDER_KINDS = ['reply', 'mention', 'like', 'repost', 'bookmark'] as const satisfies readonly LinkbackKind[];
type Missing = Exclude<LinkbackKind, (typeof RENDER_KINDS)[number]>;
const _allKinds: Missing extends never ? true : Missing = true;
void _allKinds;

/** Kinds shown as a list of entries (author, date, excerpt); the others are rows of faces. */
export const LIST_KINDS: readonly LinkbackKind[] = ['reply', 'mention'];

export function isKind(value: unknown): value is LinkbackKind {
  return typeof value === 'string' && (RENDER_KINDS as readonly string[]).includes(value);
}

/**
 * The kind of something read back: records from before Webmention, and endpoints of older deploys, have
 * none (a mention); a kind this version does not know is shown as a mention too, never printed as is.
 */
export function kindOf(item: { kind?: unknown }): LinkbackKind {
  return isKind(item.kind) ? item.kind : 'mention';
}

/**
 * A `kind`/`kinds` option: one kind or a list of them, checked once; undefined means every kind. Names
 * the option and the kinds there are.
 */
export function checkKinds(option: string, value: unknown): readonly LinkbackKind[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const bad = list.find((k) => !isKind(k));
  if (bad !== undefined || list.length === 0) {
    throw new PingbackOptionError(
      option,
      list.length === 0 ? 'is an empty list, so nothing would be shown' : `has ${JSON.stringify(bad)}, which is not a kind`,
      `Write one of ${RENDER_KINDS.map((k) => `"${k}"`).join(', ')}, or a list of them.`,
    );
  }
  return list as LinkbackKind[];
}

/** The items of the given kinds (all when `kinds` is undefined), in their order. */
export function ofKinds<T extends { kind?: unknown }>(items: readonly T[], kinds: readonly LinkbackKind[] | undefined): T[] {
  return kinds === undefined ? [...items] : items.filter((item) => kinds.includes(kindOf(item)));
}
