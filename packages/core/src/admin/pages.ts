import { createHash } from 'node:crypto';
import { escapeHtml, safeHref } from '../render/escape.ts';
import type { LinkbackRecord } from '../store/record.ts';
import { LINKBACK_KINDS, LINKBACK_PROTOCOLS, parseRecordId, recordKind, recordProtocol } from '../store/record.ts';
import { ASSET_VERSION } from './assets.ts';
import type { ListQuery, ListView, StatusFilter } from './view.ts';
import { queryString } from './view.ts';

// Everything shown here came from strangers (source pages, senders) and is shown to the site's owner,
// with the owner's authority: text is escaped and isolated in <bdi>, a URL is shown as text and linked
// only when it is http(s), and no stored text goes into an attribute except an escaped href. Ids go
// into form values only after they are checked to be ours (two hex hashes).

const e = escapeHtml;

/**
 * Direction controls, invisible characters and other control characters, shown for what they are (a
 * small "U+202E" tag) instead of acting: records stored before they were stripped on arrival, or
 * imported, may hold them, and here of all places one must not turn a line around or hide a letter.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are shown, not obeyed.
const HIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
const text = (value: string) => e(value).replace(HIDDEN, (c) => `<span class="ctl">U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}</span>`);
const bdi = (value: string) => `<bdi>${text(value)}</bdi>`;

/** A short hash naming a host-list entry in a form. */
export function entryTag(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

export interface PageFrame {
  /** The moderation page's path. */
  base: string;
  /** The site's URL, for post links and the title. */
  site: URL;
}

function when(iso: string | undefined): string {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return '';
  const text = date.toISOString();
  return `<time datetime="${text}">${text.slice(0, 10)} ${text.slice(11, 16)} UTC</time>`;
}

/** A stranger's URL: the text itself, linked only if http(s); the link tells the other page nothing about us. */
function urlText(url: string | undefined): string {
  if (!url) return '';
  const href = safeHref(url);
  return href ? `<a class="url" href="${e(href)}" rel="noreferrer noopener nofollow ugc">${bdi(url)}</a>` : `<span class="url">${bdi(url)}</span>`;
}

export function shell(frame: PageFrame, title: string, body: string, signedIn: { formToken: string } | null): string {
  const signOut = signedIn
    ? `<form method="post" action="${e(frame.base)}/sign-out" class="sign-out"><input type="hidden" name="csrf" value="${e(signedIn.formToken)}"><button type="submit" class="button button--quiet">Sign out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${e(title)} · ${e(frame.site.host)}</title>
<link rel="stylesheet" href="${e(frame.base)}/admin.css?v=${ASSET_VERSION}">
<script src="${e(frame.base)}/admin.js?v=${ASSET_VERSION}" defer></script>
</head>
<body>
<header class="top"><div class="top__in"><p class="top__site"><span class="top__name">Linkbacks</span> <span class="top__host">${e(frame.site.host)}</span></p>${signOut}</div></header>
<main class="main">
${body}
</main>
</body>
</html>
`;
}

export function signInPage(frame: PageFrame, message: { kind: 'error' | 'info'; text: string } | null): string {
  const note = message ? `<p class="notice notice--${message.kind}" role="${message.kind === 'error' ? 'alert' : 'status'}">${e(message.text)}</p>` : '';
  return shell(
    frame,
    'Sign in',
    `<section class="sign-in">
<h1>Sign in to moderate</h1>
${note}
<form method="post" action="${e(frame.base)}/sign-in" class="sign-in__form">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus spellcheck="false">
<button type="submit" class="button button--primary">Sign in</button>
</form>
<p class="hint">The token is the value of <code>PINGBACK_ADMIN_TOKEN</code> where the receiver runs.</p>
</section>`,
    null,
  );
}

export function messagePage(frame: PageFrame, title: string, text: string, signedIn: { formToken: string } | null): string {
  return shell(
    frame,
    title,
    `<section class="message"><h1>${e(title)}</h1><p>${e(text)}</p><p><a href="${e(frame.base)}">Back to the moderation page</a></p></section>`,
    signedIn,
  );
}

const STATUS_LABEL: Record<StatusFilter, string> = { all: 'All', pending: 'Pending', approved: 'Approved', rejected: 'Rejected', deleted: 'Deleted' };

function tabs(frame: PageFrame, query: ListQuery, view: ListView, current: 'list' | 'hosts'): string {
  const all = view.counts.pending + view.counts.approved + view.counts.rejected;
  const tab = (status: StatusFilter, count: number) => {
    const selected = current === 'list' && query.status === status;
    return `<li><a href="${e(frame.base + queryString(query, { status, page: 1 }))}"${selected ? ' aria-current="page"' : ''}>${STATUS_LABEL[status]} <span class="count">${count}</span></a></li>`;
  };
  return `<nav class="tabs" aria-label="Status"><ul>${tab('all', all)}${tab('pending', view.counts.pending)}${tab('approved', view.counts.approved)}${tab('rejected', view.counts.rejected)}${tab('deleted', view.counts.deleted)}<li><a href="${e(frame.base)}/hosts"${current === 'hosts' ? ' aria-current="page"' : ''}>Hosts</a></li></ul></nav>`;
}

function filters(frame: PageFrame, query: ListQuery, view: ListView): string {
  const option = (value: string, label: string, selected: boolean) => `<option value="${e(value)}"${selected ? ' selected' : ''}>${e(label)}</option>`;
  // The status and post the filters keep, as one query string of our own encoding (percent-escaped).
  const keep = queryString({ ...query, protocol: null, kind: null, page: 1 }).slice(1);
  const hidden = keep ? `<input type="hidden" name="keep" value="${e(keep)}">` : '';
  const post = query.post
    ? `<p class="chip">Post: ${bdi(query.post)} <a href="${e(frame.base + queryString(query, { post: null, page: 1 }))}">show all posts</a></p>`
    : '';
  const posts = view.posts.length
    ? `<details class="posts"><summary>Posts (${view.posts.length})</summary><ul>${view.posts
        .slice(0, 200)
        .map(
          (p) => `<li><a href="${e(frame.base + queryString(query, { post: p.key, page: 1 }))}">${bdi(p.key)}</a> <span class="count">${p.count}</span></li>`,
        )
        .join('')}</ul></details>`
    : '';
  return `<form method="get" action="${e(frame.base)}" class="filters">
${hidden}
<label>Protocol <select name="protocol">${option('', 'any', query.protocol === null)}${LINKBACK_PROTOCOLS.map((p) => option(p, p, query.protocol === p)).join('')}</select></label>
<label>Kind <select name="kind">${option('', 'any', query.kind === null)}${LINKBACK_KINDS.map((k) => option(k, k, query.kind === k)).join('')}</select></label>
<button type="submit" class="button">Filter</button>
</form>
${post}${posts}`;
}

function notice(message: { text: string; undo: string | null } | null, frame: PageFrame, formToken: string, back: string): string {
  if (!message) return '';
  const undo = message.undo
    ? `<form method="post" action="${e(frame.base)}/undo" class="notice__undo"><input type="hidden" name="csrf" value="${e(formToken)}"><input type="hidden" name="entry" value="${e(message.undo)}"><input type="hidden" name="back" value="${e(back)}"><button type="submit" class="button">Undo</button></form>`
    : '';
  return `<div class="notice notice--info" role="status"><p>${e(message.text)}</p>${undo}</div>`;
}

function statusBadge(record: LinkbackRecord): string {
  const status = record.deletedAt !== undefined ? 'deleted' : record.status;
  return `<span class="badge badge--${status}">${status}</span>`;
}

function card(frame: PageFrame, record: LinkbackRecord): string {
  const id = parseRecordId(record.id) ? record.id : null;
  const deleted = record.deletedAt !== undefined;
  const kind = recordKind(record);
  const title = record.title.trim();
  const pick =
    id && !deleted ? `<label class="card__pick"><input type="checkbox" name="id" value="${id}"><span class="visually-hidden">Select</span></label>` : '';
  const button = (action: string, label: string, modifier = '') =>
    id ? `<button type="submit" name="one" value="${action}:${id}" class="button${modifier}">${label}</button>` : '';
  const actions = deleted
    ? ''
    : `<div class="card__actions">${record.status !== 'approved' ? button('approve', 'Approve', ' button--ok') : ''}${record.status !== 'rejected' ? button('reject', 'Reject') : ''}${button('delete', 'Delete', ' button--bad')}${button('block', 'Block host')}${button('allow', 'Always allow host')}</div>`;
  // Set as a path, so a stored key such as `//elsewhere.example/x` still names a page of this site.
  const post = new URL(frame.site);
  post.pathname = record.key;
  post.search = '';
  post.hash = '';
  const postHref = post.href;
  const facts = [
    `<dt>Source</dt><dd>${urlText(record.source)}</dd>`,
    `<dt>Post</dt><dd><a href="${e(postHref)}">${bdi(record.key)}</a></dd>`,
    `<dt>Found</dt><dd>${deleted ? 'Deleted' : `A link to ${bdi(record.target)} on the source page`}${record.updatedAt ? `, checked again ${when(record.updatedAt)}` : ''}</dd>`,
  ];
  if (record.url && record.url !== record.source) facts.push(`<dt>Entry</dt><dd>${urlText(record.url)}</dd>`);
  if (record.author.url) facts.push(`<dt>Author’s site</dt><dd>${urlText(record.author.url)}</dd>`);
  if (record.published) facts.push(`<dt>Published</dt><dd>${when(record.published) || bdi(record.published)}</dd>`);
  if (record.deletedAt) facts.push(`<dt>Deleted</dt><dd>${when(record.deletedAt)}${record.deletedBy === 'source' ? ' by the source' : ''}</dd>`);
  return `<li class="card card--${deleted ? 'deleted' : record.status}">
<div class="card__head">${pick}${statusBadge(record)}<span class="card__kind">${e(recordProtocol(record))}${kind === 'mention' ? '' : ` · ${e(kind)}`}</span>${when(record.receivedAt)}</div>
<h2 class="card__title">${title ? bdi(title) : '<span class="muted">(no title)</span>'}</h2>
${record.author.name ? `<p class="card__author">by ${bdi(record.author.name)}</p>` : ''}
${record.excerpt ? `<p class="card__excerpt" dir="auto">${text(record.excerpt)}</p>` : ''}
<dl class="card__facts">${facts.join('')}</dl>
${actions}
</li>`;
}

export interface ListPageInput {
  frame: PageFrame;
  query: ListQuery;
  view: ListView;
  formToken: string;
  message: { text: string; undo: string | null } | null;
}

export function listPage({ frame, query, view, formToken, message }: ListPageInput): string {
  const back = queryString(query).slice(1);
  const bulk = `<div class="bulk"><label class="bulk__all" hidden><input type="checkbox" id="select-all"> Select all on this page</label><span class="bulk__label">Selected:</span><button type="submit" name="op" value="approve" class="button button--ok">Approve</button><button type="submit" name="op" value="reject" class="button">Reject</button><button type="submit" name="op" value="delete" class="button button--bad">Delete</button><button type="submit" name="op" value="block" class="button">Block hosts</button><button type="submit" name="op" value="allow" class="button">Allow hosts</button></div>`;
  const items = view.items.length
    ? `<form method="post" action="${e(frame.base)}/action" class="items"><input type="hidden" name="csrf" value="${e(formToken)}"><input type="hidden" name="back" value="${e(back)}">${query.status === 'deleted' ? '' : bulk}<ol class="cards">${view.items.map((r) => card(frame, r)).join('')}</ol></form>`
    : `<p class="empty">${query.status === 'pending' ? 'Nothing waits for you.' : 'No linkbacks here.'}</p>`;
  const page = Math.min(query.page, view.pages);
  const pager =
    view.pages > 1
      ? `<nav class="pager" aria-label="Pages">${page > 1 ? `<a href="${e(frame.base + queryString(query, { page: page - 1 }))}" rel="prev">Newer</a>` : '<span></span>'}<span>Page ${page} of ${view.pages}</span>${page < view.pages ? `<a href="${e(frame.base + queryString(query, { page: page + 1 }))}" rel="next">Older</a>` : '<span></span>'}</nav>`
      : '';
  return shell(
    frame,
    `${STATUS_LABEL[query.status]} linkbacks`,
    `${tabs(frame, query, view, 'list')}
<h1 class="visually-hidden">${STATUS_LABEL[query.status]} linkbacks</h1>
${notice(message, frame, formToken, back)}
${filters(frame, query, view)}
${items}
${pager}`,
    { formToken },
  );
}

export interface HostsPageInput {
  frame: PageFrame;
  query: ListQuery;
  view: ListView;
  formToken: string;
  blocklist: readonly string[];
  allowlist: readonly string[];
  /** Patterns set in the configuration: shown, not editable here. */
  configured: { blocklist: readonly string[]; allowlist: readonly string[] };
  moderation: string;
  message: { text: string; undo: string | null } | null;
}

function hostList(frame: PageFrame, formToken: string, list: 'blocklist' | 'allowlist', entries: readonly string[], configured: readonly string[]): string {
  // A row is named by its place and a hash of its text, never by the text itself: a list changed meanwhile
  // makes the button remove nothing rather than the wrong entry.
  const rows = entries
    .map(
      (host, i) =>
        `<li><code>${bdi(host)}</code><button type="submit" name="remove" value="${list}:${i}:${entryTag(host)}" class="button button--quiet">Remove</button></li>`,
    )
    .join('');
  const fixed = configured.map((host) => `<li><code>${bdi(host)}</code><span class="muted">in the configuration</span></li>`).join('');
  return `<form method="post" action="${e(frame.base)}/hosts" class="hosts__list"><input type="hidden" name="csrf" value="${e(formToken)}"><ul>${rows}${fixed || rows ? fixed : '<li class="muted">None.</li>'}</ul></form>`;
}

export function hostsPage(input: HostsPageInput): string {
  const { frame, formToken } = input;
  const mode =
    input.moderation === 'pending-except-allowed'
      ? 'Linkbacks from allowed hosts are approved on arrival; all others wait for you.'
      : input.moderation === 'pending'
        ? 'Every linkback waits for you (moderation is "pending"); the allow list counts only under "pending-except-allowed".'
        : 'Linkbacks are published on arrival (moderation is "auto"); the allow list counts only under "pending-except-allowed".';
  return shell(
    frame,
    'Hosts',
    `${tabs(frame, input.query, input.view, 'hosts')}
<h1>Hosts</h1>
${notice(input.message, frame, formToken, '')}
<form method="post" action="${e(frame.base)}/hosts" class="hosts__add">
<input type="hidden" name="csrf" value="${e(formToken)}">
<label for="host">Host or pattern</label>
<input id="host" name="host" type="text" required maxlength="253" spellcheck="false" autocapitalize="off" placeholder="spam.example or *.spam.example">
<div class="hosts__buttons"><button type="submit" name="add" value="blocklist" class="button button--bad">Block</button><button type="submit" name="add" value="allowlist" class="button button--ok">Always allow</button></div>
</form>
<section class="hosts"><h2>Blocked</h2><p class="hint">Linkbacks from these hosts are refused before anything is fetched.</p>${hostList(frame, formToken, 'blocklist', input.blocklist, input.configured.blocklist)}</section>
<section class="hosts"><h2>Always allowed</h2><p class="hint">${e(mode)}</p>${hostList(frame, formToken, 'allowlist', input.allowlist, input.configured.allowlist)}</section>`,
    { formToken },
  );
}
