import type { HostList, PingbackRecord, RecordStatus } from '@pingback/core';
import {
  RECORD_STATUSES,
  addHost,
  canonicalKey,
  compareRecords,
  readHostList,
  recordKind,
  recordProtocol,
  removeHost,
  tombstone,
  triggerRebuild,
} from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { UsageError } from '../args.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';
import { STORE_FLAGS, withStore } from '../store-flags.ts';

export const listSpec: CommandSpec = {
  name: 'list',
  summary: 'List stored linkbacks (pingbacks and Webmentions), newest last.',
  positionals: [],
  flags: {
    target: { type: 'string', value: 'URL', description: 'Only those of this post (any URL or path of it).' },
    status: { type: 'string', value: 'S', description: `Only this status: ${RECORD_STATUSES.join(', ')}, or deleted.` },
    json: { type: 'boolean', description: 'Print the records as a JSON array (with protocol and kind always filled in).' },
    ...STORE_FLAGS,
  },
  notes: ['Deleted pingbacks (tombstones) are listed only with --status deleted.'],
};

const moderationSpec = (name: string, summary: string): CommandSpec => ({
  name,
  summary,
  positionals: [{ name: 'id', description: 'The pingback id, as `pingback list` shows it.' }],
  flags: { ...STORE_FLAGS },
  notes: name === 'approve' ? ['Approving calls PINGBACK_BUILD_HOOK_URL (POST), at most once per 10 minutes, so the site rebuilds.'] : [],
});

export const approveSpec = moderationSpec('approve', 'Publish a pingback.');
export const rejectSpec = moderationSpec('reject', 'Hide a pingback (it stays stored; pinging again answers 48).');
export const deleteSpec = moderationSpec('delete', 'Delete a pingback, leaving a tombstone so the same source pinging again answers 48.');

const HOST_ARGUMENT = { name: 'host', description: 'A host ("spam.example"), an origin, or a pattern with * ("*.spam.example").' };

export const blockSpec: CommandSpec = {
  name: 'block',
  summary: 'Refuse linkbacks from a source host from now on (fault 49), or with --remove stop refusing them.',
  positionals: [HOST_ARGUMENT],
  flags: { remove: { type: 'boolean', description: 'Take the host off the block list instead.' }, ...STORE_FLAGS },
  notes: ['`pingback hosts` lists the block and allow lists; the moderation page edits them too.'],
};

export const allowSpec: CommandSpec = {
  name: 'allow',
  summary: 'Approve linkbacks from a source host on arrival (with moderation pending-except-allowed), or with --remove stop.',
  positionals: [HOST_ARGUMENT],
  flags: { remove: { type: 'boolean', description: 'Take the host off the allow list instead.' }, ...STORE_FLAGS },
  notes: ['The allow list counts only when the receiver runs with moderation "pending-except-allowed" (`pingback serve --moderation pending-except-allowed`).'],
};

export const hostsSpec: CommandSpec = {
  name: 'hosts',
  summary: 'List the block and allow lists kept in the store.',
  positionals: [],
  flags: { json: { type: 'boolean', description: 'Print {"blocklist": [...], "allowlist": [...]}.' }, ...STORE_FLAGS },
};

export async function list(parsed: Parsed, io: Io): Promise<number> {
  const status = parsed.flags.status as string | undefined;
  if (status !== undefined && status !== 'deleted' && !RECORD_STATUSES.includes(status as RecordStatus)) {
    throw new UsageError(`--status must be one of ${RECORD_STATUSES.join(', ')}, deleted`);
  }
  let key: string | undefined;
  if (typeof parsed.flags.target === 'string') {
    const url = URL.parse(parsed.flags.target, 'http://site.invalid/');
    if (!url) throw new UsageError('--target must be a URL or a path');
    key = canonicalKey(url);
  }
  const records = (await withStore(parsed.flags, io, ({ store }) => store.list(key === undefined ? {} : { key })))
    .filter((r) => (status === 'deleted' ? r.deletedAt !== undefined : r.deletedAt === undefined && (status === undefined || r.status === status)))
    .sort(compareRecords);
  if (parsed.flags.json) {
    // Records from before Webmention have neither field: they are pingbacks and mentions.
    const shown = records.map((r) => ({ ...r, protocol: recordProtocol(r), kind: recordKind(r) }));
    io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return Exit.OK;
  }
  if (records.length === 0) io.stdout.write('no pingbacks\n');
  for (const r of records) {
    io.stdout.write(`${r.id}  ${r.deletedAt ? 'deleted' : r.status.padEnd(8)}  ${r.receivedAt}  ${r.key}\n`);
    io.stdout.write(`    from ${r.source}\n    "${r.title}" by ${r.author.name}${r.author.url ? ` <${r.author.url}>` : ''}\n`);
    if (r.excerpt) io.stdout.write(`    ${r.excerpt}\n`);
  }
  return Exit.OK;
}

/** A moderation command's name and what its output says it did. */
interface Verb {
  name: 'approve' | 'reject' | 'delete';
  done: 'approved' | 'rejected' | 'deleted';
}

function change(parsed: Parsed, io: Io, apply: (r: PingbackRecord) => PingbackRecord, verb: Verb): Promise<number> {
  return withStore(parsed.flags, io, async ({ store }) => {
    const [id] = parsed.positionals as [string];
    const record = await store.get(id);
    if (!record || record.deletedAt) {
      io.stderr.write(`pingback ${verb.name}: no pingback with id ${id}\n`);
      return Exit.NEGATIVE;
    }
    const next = apply(record);
    await store.update(next);
    io.stdout.write(`${verb.done} ${id} (${record.source} → ${record.key})\n`);
    if (verb.name === 'approve' && io.env.PINGBACK_BUILD_HOOK_URL) {
      const result = await triggerRebuild(store, io.env.PINGBACK_BUILD_HOOK_URL, 10 * 60_000, Date.now());
      io.stdout.write(`  ${result.message}\n`);
    }
    return Exit.OK;
  });
}

export const approve = (parsed: Parsed, io: Io) => change(parsed, io, (r) => ({ ...r, status: 'approved' }), { name: 'approve', done: 'approved' });
export const reject = (parsed: Parsed, io: Io) => change(parsed, io, (r) => ({ ...r, status: 'rejected' }), { name: 'reject', done: 'rejected' });
export const remove = (parsed: Parsed, io: Io) =>
  change(parsed, io, (r) => tombstone(r, new Date().toISOString(), 'moderator'), { name: 'delete', done: 'deleted' });

function editList(parsed: Parsed, io: Io, list: HostList): Promise<number> {
  return withStore(parsed.flags, io, async ({ store, where }) => {
    const [host] = parsed.positionals as [string];
    const word = list === 'blocklist' ? 'blocked' : 'allowed';
    // Read, change, write: under the store's lock when it has one, so two runs never lose one another's host.
    const locked = <T>(fn: () => Promise<T>): Promise<T> => (store.withLock ? store.withLock(list, fn) : fn());
    if (parsed.flags.remove) {
      const before = await readHostList(store, list);
      const after = await locked(() => removeHost(store, list, host));
      if (before.length === after.length) {
        io.stderr.write(
          `pingback ${list === 'blocklist' ? 'block' : 'allow'}: ${host} is not on the ${list === 'blocklist' ? 'block' : 'allow'} list in ${where}; \`pingback hosts\` lists it\n`,
        );
        return Exit.NEGATIVE;
      }
      io.stdout.write(`no longer ${word}: ${host} in ${where} (${after.length} ${word} host pattern${after.length === 1 ? '' : 's'})\n`);
      return Exit.OK;
    }
    const after = await locked(() => addHost(store, list, host));
    io.stdout.write(`${word} ${host} in ${where} (${after.length} ${word} host pattern${after.length === 1 ? '' : 's'})\n`);
    return Exit.OK;
  });
}

export const block = (parsed: Parsed, io: Io) => editList(parsed, io, 'blocklist');
export const allow = (parsed: Parsed, io: Io) => editList(parsed, io, 'allowlist');

export function hosts(parsed: Parsed, io: Io): Promise<number> {
  return withStore(parsed.flags, io, async ({ store }) => {
    const lists = { blocklist: await readHostList(store, 'blocklist'), allowlist: await readHostList(store, 'allowlist') };
    if (parsed.flags.json) {
      io.stdout.write(`${JSON.stringify(lists, null, 2)}\n`);
      return Exit.OK;
    }
    io.stdout.write(`blocked (${lists.blocklist.length}):\n${lists.blocklist.map((h) => `  ${h}\n`).join('')}`);
    io.stdout.write(`allowed (${lists.allowlist.length}):\n${lists.allowlist.map((h) => `  ${h}\n`).join('')}`);
    return Exit.OK;
  });
}
