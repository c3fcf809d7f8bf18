import type { LinkbackKind, LinkbackProtocol, LinkbackRecord } from '../store/record.ts';
import { LINKBACK_KINDS, LINKBACK_PROTOCOLS, recordKind, recordProtocol } from '../store/record.ts';

export type StatusFilter = 'all' | 'pending' | 'approved' | 'rejected' | 'deleted';
export const STATUS_FILTERS: readonly StatusFilter[] = ['all', 'pending', 'approved', 'rejected', 'deleted'];
export const PAGE_SIZE = 50;
const MAX_PAGE = 100_000;

/** What the list shows: every field checked against what it may be, so a link can't smuggle anything in. */
export interface ListQuery {
  status: StatusFilter;
  post: string | null;
  protocol: LinkbackProtocol | null;
  kind: LinkbackKind | null;
  page: number;
}

export function readQuery(params: URLSearchParams): ListQuery {
  const status = params.get('status');
  const post = params.get('post');
  const protocol = params.get('protocol');
  const kind = params.get('kind');
  const page = Number(params.get('page') ?? '1');
  return {
    status: STATUS_FILTERS.includes(status as StatusFilter) ? (status as StatusFilter) : 'all',
    post: post?.startsWith('/') && post.length <= 2048 ? post : null,
    protocol: LINKBACK_PROTOCOLS.includes(protocol as LinkbackProtocol) ? (protocol as LinkbackProtocol) : null,
    kind: LINKBACK_KINDS.includes(kind as LinkbackKind) ? (kind as LinkbackKind) : null,
    page: Number.isInteger(page) && page >= 1 && page <= MAX_PAGE ? page : 1,
  };
}

/** The query as a link's query string (percent-encoded by URLSearchParams), defaults left out. */
export function queryString(query: ListQuery, change: Partial<ListQuery> = {}): string {
  const q = { ...query, ...change };
  const params = new URLSearchParams();
  if (q.status !== 'all') params.set('status', q.status);
  if (q.post) params.set('post', q.post);
  if (q.protocol) params.set('protocol', q.protocol);
  if (q.kind) params.set('kind', q.kind);
  if (q.page > 1) params.set('page', String(q.page));
  const text = params.toString();
  return text ? `?${text}` : '';
}

const ORDER = { pending: 0, approved: 1, rejected: 2 } as const;

function statusOf(record: LinkbackRecord): Exclude<StatusFilter, 'all'> {
  return record.deletedAt !== undefined ? 'deleted' : record.status;
}

export interface ListView {
  items: LinkbackRecord[];
  total: number;
  pages: number;
  /** Records per status under the post/protocol/kind filters, for the tabs. */
  counts: Record<Exclude<StatusFilter, 'all'>, number>;
  /** Posts with linkbacks (not deleted), most first. */
  posts: { key: string; count: number }[];
}

/** Pending first, then approved, then rejected; newest first within each. Deleted only when asked for. */
export function listView(records: readonly LinkbackRecord[], query: ListQuery): ListView {
  const counts = { pending: 0, approved: 0, rejected: 0, deleted: 0 };
  const byPost = new Map<string, number>();
  const matching: LinkbackRecord[] = [];
  for (const record of records) {
    const status = statusOf(record);
    if (status !== 'deleted') byPost.set(record.key, (byPost.get(record.key) ?? 0) + 1);
    if (query.post !== null && record.key !== query.post) continue;
    if (query.protocol !== null && recordProtocol(record) !== query.protocol) continue;
    if (query.kind !== null && recordKind(record) !== query.kind) continue;
    counts[status]++;
    if (query.status === 'all' ? status !== 'deleted' : status === query.status) matching.push(record);
  }
  matching.sort((a, b) => {
    const order = (a.deletedAt ? 3 : ORDER[a.status]) - (b.deletedAt ? 3 : ORDER[b.status]);
    if (order !== 0) return order;
    return a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : a.id < b.id ? -1 : 1;
  });
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const start = (Math.min(query.page, pages) - 1) * PAGE_SIZE;
  const posts = [...byPost].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
  return { items: matching.slice(start, start + PAGE_SIZE), total: matching.length, pages, counts, posts };
}
