import { compileHostPattern } from '../site/host-pattern.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../receive/logger.ts';
import type { ModerationMode } from '../receive/moderation.ts';
import type { PlainRequest, PlainResponse } from '../receive/plain-http.ts';
import { plain } from '../receive/plain-http.ts';
import type { HostList } from '../receive/host-lists.ts';
import { HOST_LIST_MAX, readHostList } from '../receive/host-lists.ts';
import type { SnapshotListing } from '../store/snapshot-listing.ts';
import type { PingbackStore } from '../store/store.ts';
import { StoreError } from '../store/store.ts';
import type { AdminSettings } from './admin-options.ts';
import { ADMIN_CSS, ADMIN_JS } from './assets.ts';
import { readForm } from './form.ts';
import type { ActionResult, HostAction, RecordAction } from './moderate.ts';
import { HOST_ACTIONS, RECORD_ACTIONS, addHosts, findUndo, moderateRecords, recordIds, removeHosts, sourceHost, undo } from './moderate.ts';
import type { PageFrame } from './pages.ts';
import { entryTag, hostsPage, listPage, messagePage, signInPage } from './pages.ts';
import type { Session } from './session.ts';
import { cookieValue, createSessionCookie, formToken, isAdminToken, isFormToken, readSessionCookie } from './session.ts';
import type { ListQuery } from './view.ts';
import { listView, queryString, readQuery } from './view.ts';
import { ownsAdminPath } from './admin-path.ts';

/** What the page needs of the receiver it is part of. */
export interface AdminDeps {
  settings: AdminSettings;
  site: URL;
  store: PingbackStore;
  listing: SnapshotListing;
  moderation: ModerationMode;
  configured: { blocklist: readonly string[]; allowlist: readonly string[] };
  logger: Logger;
  clock: Clock;
  /** Asks for a rebuild (debounced by the receiver) when what the site shows changed. */
  rebuild(): Promise<string>;
}

export interface AdminRequestContext {
  clientAddress?: string;
  waitUntil?: (promise: Promise<unknown>) => void;
}

/**
 * Sent with every answer under the page's path: nothing but our own stylesheet and script may load, no
 * one may frame it, nothing is cached or indexed, and no other site learns the page's address from a
 * referrer. The policy is `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null`
 * with the page's own form posts, and the Origin check below is what tells them from a stranger's.
 */
export const ADMIN_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-robots-tag': 'noindex, nofollow',
};

const HTML = 'text/html; charset=utf-8';
/** The stylesheet and script hold nothing private and are named by version: kept for good. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/** Notes a redirect may ask the page to show: fixed texts, so a link can't make the page say anything else. */
const NOTES = {
  nothing: 'Nothing changed.',
  none: 'Select one or more linkbacks first.',
  undone: 'Undone.',
  gone: 'That action can no longer be undone.',
  host: 'That is not a host name or pattern (write e.g. spam.example or *.spam.example).',
  full: `That list already holds ${HOST_LIST_MAX} hosts; remove some first.`,
  signedout: 'Signed out.',
} as const;
type Note = keyof typeof NOTES;

export class AdminPage {
  private readonly deps: AdminDeps;
  private readonly frame: PageFrame;

  constructor(deps: AdminDeps) {
    this.deps = deps;
    this.frame = { base: deps.settings.path, site: deps.site };
  }

  /** Whether a request path is the page's: its path or anything under it. */
  owns(pathname: string): boolean {
    return ownsAdminPath(this.deps.settings.path, pathname);
  }

  get path(): string {
    return this.deps.settings.path;
  }

  async handle(request: PlainRequest, context: AdminRequestContext = {}): Promise<PlainResponse> {
    try {
      return await this.route(request, context);
    } catch (error) {
      if (error instanceof StoreError) {
        this.deps.logger.error(`[pingback] admin: store: ${error.message}`);
        return this.html(503, messagePage(this.frame, 'The store is unavailable', 'Nothing was changed. Try again in a moment.', null), {
          'retry-after': '30',
        });
      }
      this.deps.logger.error(`[pingback] admin: internal error: ${(error as Error)?.stack ?? String(error)}`);
      return this.html(500, messagePage(this.frame, 'Something went wrong', 'Nothing more is known here; the receiver logged it.', null));
    }
  }

  private html(status: number, body: string, headers: Record<string, string> = {}): PlainResponse {
    return plain(status, body, { ...ADMIN_HEADERS, 'content-type': HTML, ...headers });
  }

  private redirect(to: string, headers: Record<string, string> = {}): PlainResponse {
    return plain(303, null, { ...ADMIN_HEADERS, location: to, ...headers });
  }

  private methodNotAllowed(allow: string): PlainResponse {
    return plain(405, `Method not allowed; use ${allow}.\n`, { ...ADMIN_HEADERS, allow, 'content-type': 'text/plain; charset=utf-8' });
  }

  private async route(request: PlainRequest, context: AdminRequestContext): Promise<PlainResponse> {
    const sub = request.url.pathname.slice(this.deps.settings.path.length);
    const { method } = request;
    const read = method === 'GET' || method === 'HEAD';
    if (!read && method !== 'POST') return this.methodNotAllowed('GET, HEAD, POST');
    const head = (answer: PlainResponse) => (method === 'HEAD' ? { ...answer, body: null } : answer);
    switch (sub) {
      case '/admin.css':
        return read
          ? head(plain(200, ADMIN_CSS, { ...ADMIN_HEADERS, 'content-type': 'text/css; charset=utf-8', 'cache-control': ASSET_CACHE }))
          : this.methodNotAllowed('GET, HEAD');
      case '/admin.js':
        return read
          ? head(plain(200, ADMIN_JS, { ...ADMIN_HEADERS, 'content-type': 'text/javascript; charset=utf-8', 'cache-control': ASSET_CACHE }))
          : this.methodNotAllowed('GET, HEAD');
      case '':
      case '/':
        return read ? head(await this.listPage(request)) : this.methodNotAllowed('GET, HEAD');
      case '/hosts':
        return read ? head(await this.hostsPage(request)) : this.post(request, (_session, form) => this.hostsAction(form));
      case '/sign-in':
        return read ? this.redirect(this.deps.settings.path) : this.signIn(request, context);
      case '/sign-out':
        return read ? this.methodNotAllowed('POST') : this.signOut(request);
      case '/action':
        return read ? this.methodNotAllowed('POST') : this.post(request, (_session, form) => this.action(form, context));
      case '/undo':
        return read ? this.methodNotAllowed('POST') : this.post(request, (_session, form) => this.undo(form, context));
      default:
        return this.html(404, messagePage(this.frame, 'Not found', 'There is no such page here.', null));
    }
  }

  private session(request: PlainRequest): Session | null {
    const { keys, cookieName, sessionTtlMs } = this.deps.settings;
    return readSessionCookie(keys, cookieValue(request.header('cookie'), cookieName), this.deps.clock.now(), sessionTtlMs);
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    const { cookieName, cookiePath, secureCookie } = this.deps.settings;
    return `${cookieName}=${value}; Path=${cookiePath}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secureCookie ? '; Secure' : ''}`;
  }

  /**
   * A state change must come from this page: the browser says where the form was (Origin, which every
   * current browser sends with a POST), or, when it says `null` or nothing, that the request is
   * same-origin (Sec-Fetch-Site). A request that says neither is refused: only a browser is meant to use
   * these forms. Both headers are set by the browser; a page can't forge them.
   */
  private fromThisPage(request: PlainRequest): boolean {
    const origin = request.header('origin');
    // `null` is what a sandboxed frame or a page with no referrer sends: it proves nothing either way.
    if (origin !== null && origin !== 'null') return origin === request.url.origin;
    return request.header('sec-fetch-site') === 'same-origin';
  }

  private refused(text: string): PlainResponse {
    return this.html(403, messagePage(this.frame, 'Refused', text, null));
  }

  private async post(request: PlainRequest, run: (session: Session, form: URLSearchParams) => Promise<PlainResponse>): Promise<PlainResponse> {
    if (!this.fromThisPage(request)) return this.refused('This request did not come from the moderation page, so nothing was changed.');
    const session = this.session(request);
    if (!session) return this.html(403, signInPage(this.frame, { kind: 'error', text: 'Your session has ended, so nothing was changed. Sign in again.' }));
    const read = readForm(request);
    if (!read.ok) return this.html(read.status, messagePage(this.frame, 'Not accepted', read.why, null));
    if (!isFormToken(this.deps.settings.keys, session, read.form.get('csrf')))
      return this.refused('The form was out of date or not from this page, so nothing was changed. Reload the page and try again.');
    return run(session, read.form);
  }

  private back(form: URLSearchParams, extra: Record<string, string>): string {
    const query = readQuery(new URLSearchParams(form.get('back') ?? ''));
    const params = new URLSearchParams(queryString(query));
    for (const [name, value] of Object.entries(extra)) params.set(name, value);
    return `${this.deps.settings.path}?${params.toString()}`;
  }

  private afterAction(form: URLSearchParams, result: ActionResult, context: AdminRequestContext, page = ''): PlainResponse {
    if (result.visibleChanged) {
      const rebuild = this.deps.rebuild().catch((error: unknown) => this.deps.logger.warn(`[pingback] rebuild: ${(error as Error).message}`));
      context.waitUntil?.(rebuild);
    }
    const extra: Record<string, string> = result.entry
      ? { done: result.entry }
      : { note: result.summary.startsWith('Undone') ? 'undone' : result.summary === 'That action can no longer be undone.' ? 'gone' : 'nothing' };
    if (page) {
      const params = new URLSearchParams(extra);
      return this.redirect(`${this.deps.settings.path}${page}?${params.toString()}`);
    }
    return this.redirect(this.back(form, extra));
  }

  private note(form: URLSearchParams, note: Note, page = ''): PlainResponse {
    return this.redirect(page ? `${this.deps.settings.path}${page}?note=${note}` : this.back(form, { note }));
  }

  private async action(form: URLSearchParams, context: AdminRequestContext): Promise<PlainResponse> {
    const now = this.deps.clock.now();
    // One item's button (`one=approve:<id>`) or the bulk buttons over the ticked items (`op=approve`, `id=…`).
    const one = form.get('one');
    const [op, ids] = one ? [one.slice(0, one.indexOf(':')), [one.slice(one.indexOf(':') + 1)]] : [form.get('op') ?? '', form.getAll('id')];
    const chosen = recordIds(ids);
    if (chosen.length === 0) return this.note(form, 'none');
    const { store } = this.deps;
    if ((RECORD_ACTIONS as readonly string[]).includes(op))
      return this.afterAction(form, await moderateRecords(store, op as RecordAction, chosen, now), context);
    if ((HOST_ACTIONS as readonly string[]).includes(op)) {
      const hosts: string[] = [];
      for (const id of chosen) {
        const record = await store.get(id);
        const host = record && sourceHost(record);
        if (host) hosts.push(host);
      }
      const list: HostList = (op as HostAction) === 'block' ? 'blocklist' : 'allowlist';
      return this.afterAction(form, await this.addHostsSafely(list, hosts, now), context);
    }
    return this.note(form, 'nothing');
  }

  private async addHostsSafely(list: HostList, hosts: string[], now: number): Promise<ActionResult> {
    try {
      return await addHosts(this.deps.store, list, hosts, now);
    } catch (error) {
      if (error instanceof RangeError) return { entry: null, summary: NOTES.full, visibleChanged: false };
      throw error;
    }
  }

  private async undo(form: URLSearchParams, context: AdminRequestContext): Promise<PlainResponse> {
    const id = form.get('entry') ?? '';
    if (!/^[A-Za-z0-9_-]{12}$/.test(id)) return this.note(form, 'gone');
    return this.afterAction(form, await undo(this.deps.store, id, this.deps.clock.now()), context);
  }

  private async hostsAction(form: URLSearchParams): Promise<PlainResponse> {
    const now = this.deps.clock.now();
    const { store } = this.deps;
    const add = form.get('add');
    if (add === 'blocklist' || add === 'allowlist') {
      const host = (form.get('host') ?? '').trim();
      try {
        if (host.length > 253) throw new Error('too long');
        compileHostPattern(host, 'host');
      } catch {
        return this.note(form, 'host', '/hosts');
      }
      const result = await this.addHostsSafely(add, [host], now);
      if (result.summary === NOTES.full) return this.note(form, 'full', '/hosts');
      return this.afterAction(form, result, {}, '/hosts');
    }
    const remove = /^(blocklist|allowlist):(\d{1,4}):([0-9a-f]{12})$/.exec(form.get('remove') ?? '');
    if (remove) {
      const list = remove[1] as HostList;
      const entry = (await readHostList(store, list))[Number(remove[2])];
      if (entry === undefined || entryTag(entry) !== remove[3]) return this.note(form, 'nothing', '/hosts');
      return this.afterAction(form, await removeHosts(store, list, [entry], now), {}, '/hosts');
    }
    return this.note(form, 'nothing', '/hosts');
  }

  private async signIn(request: PlainRequest, context: AdminRequestContext): Promise<PlainResponse> {
    if (!this.fromThisPage(request)) return this.refused('This sign-in did not come from the sign-in page.');
    const { settings, clock, logger } = this.deps;
    const now = clock.now();
    const client = context.clientAddress ?? 'unknown';
    const locked = await settings.signInLimiter.lockedUntil(client, now);
    if (locked !== null) {
      const minutes = Math.max(1, Math.ceil((locked - now) / 60_000));
      return this.html(
        429,
        signInPage(this.frame, {
          kind: 'error',
          text: `Too many failed sign-ins from your address. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        }),
        { 'retry-after': String(Math.ceil((locked - now) / 1000)) },
      );
    }
    const read = readForm(request);
    if (!read.ok) return this.html(read.status, signInPage(this.frame, { kind: 'error', text: read.why }));
    const token = read.form.get('token') ?? '';
    if (!isAdminToken(settings.keys, token)) {
      await settings.signInLimiter.fail(client, now);
      logger.warn('[pingback] admin: a sign-in with a wrong token was refused');
      return this.html(401, signInPage(this.frame, { kind: 'error', text: 'That token is not the one configured. Check PINGBACK_ADMIN_TOKEN and try again.' }));
    }
    const { value } = createSessionCookie(settings.keys, now, settings.sessionTtlMs);
    return this.redirect(settings.path, { 'set-cookie': this.cookie(value, Math.floor(settings.sessionTtlMs / 1000)) });
  }

  private signOut(request: PlainRequest): PlainResponse {
    if (!this.fromThisPage(request)) return this.refused('This request did not come from the moderation page.');
    return this.redirect(`${this.deps.settings.path}?note=signedout`, { 'set-cookie': this.cookie('', 0) });
  }

  /** The list's query, with the status and post a filter form kept (`keep`) under its own choices. */
  private query(request: PlainRequest): ListQuery {
    const params = request.url.searchParams;
    const keep = params.get('keep');
    if (keep === null) return readQuery(params);
    const merged = new URLSearchParams(keep);
    for (const name of ['protocol', 'kind']) {
      const value = params.get(name);
      if (value) merged.set(name, value);
    }
    return readQuery(merged);
  }

  private async message(request: PlainRequest): Promise<{ text: string; undo: string | null } | null> {
    const params = request.url.searchParams;
    const done = params.get('done');
    if (done && /^[A-Za-z0-9_-]{12}$/.test(done)) {
      const entry = await findUndo(this.deps.store, done);
      return entry ? { text: entry.summary, undo: entry.id } : null;
    }
    const note = params.get('note');
    return note && Object.hasOwn(NOTES, note) ? { text: NOTES[note as Note], undo: null } : null;
  }

  private signedOutPage(request: PlainRequest): PlainResponse {
    const note = request.url.searchParams.get('note') === 'signedout' ? { kind: 'info' as const, text: NOTES.signedout } : null;
    return this.html(200, signInPage(this.frame, note));
  }

  private async listPage(request: PlainRequest): Promise<PlainResponse> {
    const session = this.session(request);
    if (!session) return this.signedOutPage(request);
    const query = this.query(request);
    const records = await this.deps.listing.list({ maxAgeMs: 0 });
    return this.html(
      200,
      listPage({
        frame: this.frame,
        query,
        view: listView(records, query),
        formToken: formToken(this.deps.settings.keys, session),
        message: await this.message(request),
      }),
    );
  }

  private async hostsPage(request: PlainRequest): Promise<PlainResponse> {
    const session = this.session(request);
    if (!session) return this.signedOutPage(request);
    const { store } = this.deps;
    const query = readQuery(new URLSearchParams());
    const records = await this.deps.listing.list({ maxAgeMs: 0 });
    return this.html(
      200,
      hostsPage({
        frame: this.frame,
        query,
        view: listView(records, query),
        formToken: formToken(this.deps.settings.keys, session),
        blocklist: await readHostList(store, 'blocklist'),
        allowlist: await readHostList(store, 'allowlist'),
        configured: this.deps.configured,
        moderation: this.deps.moderation,
        message: await this.message(request),
      }),
    );
  }
}
