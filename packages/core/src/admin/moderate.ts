import { randomBytes } from 'node:crypto';
import { canonicalHostname } from '../site/canonical.ts';
import type { HostList } from '../receive/host-lists.ts';
import { addHost, readHostList, removeHost } from '../receive/host-lists.ts';
import type { LinkbackRecord } from '../store/record.ts';
import { isVisible, parseRecordId, tombstone } from '../store/record.ts';
import type { PingbackStore } from '../store/store.ts';

export type RecordAction = 'approve' | 'reject' | 'delete';
export type HostAction = 'block' | 'allow';
export const RECORD_ACTIONS: readonly RecordAction[] = ['approve', 'reject', 'delete'];
export const HOST_ACTIONS: readonly HostAction[] = ['block', 'allow'];

/** Items one action may touch: a page of them, and then some. */
export const MAX_ITEMS_PER_ACTION = 100;

/** The meta document of recent actions that can be undone, and how many it keeps. */
export const UNDO_META = 'admin-undo';
export const UNDO_KEEP = 5;

/** One action as it can be undone: the records as they were before it, and the host-list entries it added or removed. */
export interface UndoEntry {
  id: string;
  at: string;
  summary: string;
  records: LinkbackRecord[];
  hosts: { list: HostList; host: string; added: boolean }[];
}

export interface ActionResult {
  /** The undo entry's id, or null when nothing changed. */
  entry: string | null;
  summary: string;
  /** Whether what the site shows changed: then it should rebuild. */
  visibleChanged: boolean;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function readJournal(store: PingbackStore): Promise<UndoEntry[]> {
  const value = await store.getMeta<unknown>(UNDO_META);
  return Array.isArray(value) ? (value as UndoEntry[]).filter((e) => e && typeof e.id === 'string' && Array.isArray(e.records) && Array.isArray(e.hosts)) : [];
}

async function journal(store: PingbackStore, entry: Omit<UndoEntry, 'id'>): Promise<string> {
  const id = randomBytes(9).toString('base64url');
  const entries = [...(await readJournal(store)), { id, ...entry }].slice(-UNDO_KEEP);
  await store.setMeta(UNDO_META, entries);
  return id;
}

export async function findUndo(store: PingbackStore, id: string): Promise<UndoEntry | null> {
  return (await readJournal(store)).find((e) => e.id === id) ?? null;
}

/** Record ids as a form sent them: ours only, each once, at most `MAX_ITEMS_PER_ACTION`. */
export function recordIds(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => parseRecordId(v) !== null))].slice(0, MAX_ITEMS_PER_ACTION);
}

function applied(action: RecordAction, record: LinkbackRecord, at: string): LinkbackRecord | null {
  if (record.deletedAt !== undefined) return null;
  if (action === 'delete') return tombstone(record, at, 'moderator');
  const status = action === 'approve' ? 'approved' : 'rejected';
  return record.status === status ? null : { ...record, status };
}

const DONE: Record<RecordAction, string> = { approve: 'Approved', reject: 'Rejected', delete: 'Deleted' };

/** Approves, rejects or deletes (for good: a tombstone by the moderator) the records, and journals what they were. */
export async function moderateRecords(store: PingbackStore, action: RecordAction, ids: readonly string[], now: number): Promise<ActionResult> {
  const at = new Date(now).toISOString();
  const before: LinkbackRecord[] = [];
  let visibleChanged = false;
  for (const id of recordIds(ids)) {
    const record = await store.get(id);
    const next = record && applied(action, record, at);
    if (!record || !next) continue;
    await store.update(next);
    before.push(record);
    if (isVisible(record) !== isVisible(next)) visibleChanged = true;
  }
  if (before.length === 0) return { entry: null, summary: 'Nothing changed: the selected linkbacks were already so.', visibleChanged: false };
  const summary = `${DONE[action]} ${plural(before.length, 'linkback')}.`;
  return { entry: await journal(store, { at, summary, records: before, hosts: [] }), summary, visibleChanged };
}

/** The host a linkback's source names, as lists hold it. */
export function sourceHost(record: LinkbackRecord): string | null {
  const url = URL.parse(record.source);
  return url ? canonicalHostname(url) : null;
}

/** Adds hosts to the block or allow list and journals the additions. */
export async function addHosts(store: PingbackStore, list: HostList, hosts: readonly string[], now: number): Promise<ActionResult> {
  const current = await readHostList(store, list);
  const added: string[] = [];
  for (const host of new Set(hosts)) {
    if (current.includes(host) || added.includes(host)) continue;
    await addHost(store, list, host, now);
    added.push(host);
  }
  const name = list === 'blocklist' ? 'blocked' : 'allowed';
  if (added.length === 0)
    return { entry: null, summary: `Nothing changed: ${hosts.length === 1 ? 'that host was' : 'those hosts were'} ${name} already.`, visibleChanged: false };
  const summary = `${list === 'blocklist' ? 'Blocked' : 'Allowed'} ${added.length === 1 ? added[0]! : plural(added.length, 'host')}.`;
  return {
    entry: await journal(store, { at: new Date(now).toISOString(), summary, records: [], hosts: added.map((host) => ({ list, host, added: true })) }),
    summary,
    visibleChanged: false,
  };
}

export async function removeHosts(store: PingbackStore, list: HostList, hosts: readonly string[], now: number): Promise<ActionResult> {
  const current = await readHostList(store, list);
  const removed = [...new Set(hosts)].filter((h) => current.includes(h));
  for (const host of removed) await removeHost(store, list, host, now);
  if (removed.length === 0) return { entry: null, summary: 'Nothing changed.', visibleChanged: false };
  const summary = `Removed ${removed.length === 1 ? removed[0]! : plural(removed.length, 'host')} from the ${list === 'blocklist' ? 'block' : 'allow'} list.`;
  return {
    entry: await journal(store, { at: new Date(now).toISOString(), summary, records: [], hosts: removed.map((host) => ({ list, host, added: false })) }),
    summary,
    visibleChanged: false,
  };
}

/** Puts back what an action changed, and forgets the entry. */
export async function undo(store: PingbackStore, id: string, now: number): Promise<ActionResult> {
  const entries = await readJournal(store);
  const entry = entries.find((e) => e.id === id);
  if (!entry) return { entry: null, summary: 'That action can no longer be undone.', visibleChanged: false };
  let visibleChanged = false;
  for (const previous of entry.records) {
    const current = await store.get(previous.id);
    if (current && isVisible(current) !== isVisible(previous)) visibleChanged = true;
    await store.update(previous);
  }
  for (const change of entry.hosts) {
    if (change.added) await removeHost(store, change.list, change.host, now);
    else await addHost(store, change.list, change.host, now);
  }
  await store.setMeta(
    UNDO_META,
    entries.filter((e) => e.id !== id),
  );
  return { entry: null, summary: `Undone: ${entry.summary.charAt(0).toLowerCase()}${entry.summary.slice(1)}`, visibleChanged };
}
