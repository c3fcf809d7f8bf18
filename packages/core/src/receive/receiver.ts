import { postKeyOf } from '../site/aliases.ts';
import { canonicalHostname, canonicalKey } from '../site/canonical.ts';
import { TransportError } from '../errors.ts';
import { FaultCode, PingbackFault } from '../faults.ts';
import type { HttpResponse } from '../net/http-request.ts';
import { firstHeader } from '../net/http-request.ts';
import { decodeText, isTextualType, parseContentType } from '../net/media-type.ts';
import type { PingbackRecord } from '../store/record.ts';
import { isVisible, legacyRecordId, recordId } from '../store/record.ts';
import { SnapshotListing } from '../store/snapshot-listing.ts';
import { StoreError } from '../store/store.ts';
import type { MethodTable } from '../xmlrpc/signature.ts';
import { checkSignature } from '../xmlrpc/signature.ts';
import { writeFault, writeMethodResponse } from '../xmlrpc/write.ts';
import { isBlocked } from './blocklist.ts';
import { handleRead } from './read-endpoint.ts';
import type { ReceiverOptions, ReceiverSettings } from './receiver-options.ts';
import { resolveReceiverOptions } from './receiver-options.ts';
import { settleOwedRebuild, triggerRebuild } from './rebuild.ts';
import { SourceCache } from './source-cache.ts';
import { SourceFetcher } from '../net/guarded-fetch.ts';
import { guardStoreCall } from './store-guard.ts';
import { loadSourceReading } from './source-reading-loader.ts';
import { WebmentionEndpoint } from './webmention.ts';
import type { PlainRequest, PlainResponse } from './plain-http.ts';
import { plain } from './plain-http.ts';
import { AdminRoute } from '../admin/admin-route.ts';
import { WebhookNotifier } from '../notify/deliver.ts';
import type { ArrivalContext } from '../notify/notify-arrival.ts';
import { notifyArrival } from '../notify/notify-arrival.ts';
import { statusOnArrival } from './moderation.ts';

/** What the shell knows about the request beyond the Request itself. */
export interface RequestContext {
  /** The caller's IP address (Netlify's `context.ip`, the socket's remote address). */
  clientAddress?: string;
  /** Keeps work going after the response (Netlify's `context.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** The methods offered; anything else, `system.multicall` included, is -32601. */
export const RECEIVER_METHODS: MethodTable = {
  'pingback.ping': { params: ['string', 'string'] },
  'pingback.extensions.getPingbacks': { params: ['string'] },
  'system.listMethods': { params: [] },
};

/**
 * Public fault messages. They are short and uniform on purpose: a forbidden address, a closed port, a
 * DNS failure and a 404 all read "could not be retrieved", so the endpoint tells a prober nothing.
 */
export const MESSAGES = {
  sourceUnavailable: 'The source URL could not be retrieved.',
  noLink: 'The source does not contain a link to the target.',
  targetMissing: 'The target does not exist.',
  targetUnusable: 'The target cannot receive pingbacks.',
  notOurs: 'The target is not a page of this site.',
  alreadyRegistered: 'The pingback has already been registered.',
  denied: 'Access denied.',
  tooMany: 'Too many pingbacks; try again later.',
  ownSite: "Pingbacks from this site's own pages are not recorded.",
  storeDown: 'The pingback could not be stored right now; try again later.',
  busy: 'The source could not be fetched right now; try again later.',
  tooLarge: 'parse error: request body too large',
  internal: 'Internal error.',
} as const;

const fault = (code: number, message: string) => new PingbackFault(code, message);

const XML_HEADERS = { 'content-type': 'text/xml; charset=utf-8' };

// The XML parser (saxes and its character tables), loaded with the first XML-RPC request: a cold
// Function answering a Webmention or the read endpoint never needs it. A failed load is tried again.
let xmlRpcParser: Promise<typeof import('../xmlrpc/parse.ts')> | undefined;
function loadXmlRpcParser(): Promise<typeof import('../xmlrpc/parse.ts')> {
  xmlRpcParser ??= import('../xmlrpc/parse.ts').catch((error: unknown) => {
    xmlRpcParser = undefined;
    throw error;
  });
  return xmlRpcParser;
}

/** A Web request's body, read only up to just over `max` bytes: a longer one is cut and flagged. */
async function readCapped(request: Request, max: number): Promise<{ body: Uint8Array; complete: boolean }> {
  const declared = Number(request.headers.get('content-length') ?? '');
  if (declared > max) return { body: new Uint8Array(0), complete: false };
  if (!request.body) return { body: new Uint8Array(0), complete: true };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return { body: new Uint8Array(0), complete: false };
    }
    chunks.push(value);
  }
  return { body: Buffer.concat(chunks), complete: true };
}

/**
 * The Pingback server: one framework-free `Request → Response` handler behind the Netlify Function and
 * `pingback serve`. Work is ordered cheapest and safest first: parse within caps; check the target with no
 * network; blocklist, rate limits and duplicates from the store; only then fetch the source, through an
 * address-checked, pinned connection; verify, extract, insert atomically, answer, and ask for a rebuild.
 */
export class Receiver {
  readonly settings: ReceiverSettings;
  private readonly fetcher: SourceFetcher;
  private readonly cache = new SourceCache();
  private readonly listing: SnapshotListing;
  private readonly webmentions: WebmentionEndpoint;
  /** The moderation page, when a token turned it on. */
  readonly admin: AdminRoute | undefined;
  /** The arrival webhook, when one is configured. */
  readonly notifier: WebhookNotifier | undefined;

  constructor(options: ReceiverOptions) {
    this.settings = resolveReceiverOptions(options);
    const s = this.settings;
    this.listing = new SnapshotListing(s.store);
    this.fetcher = new SourceFetcher(s.source, s.site.href);
    this.notifier = s.notify ? new WebhookNotifier(s.notify, s.logger, s.site.href) : undefined;
    this.admin = s.admin
      ? new AdminRoute({
          settings: s.admin,
          site: s.site,
          store: s.store,
          listing: this.listing,
          moderation: s.moderation,
          configured: { blocklist: s.blocklist.map((p) => p.source), allowlist: s.allowlist.map((p) => p.source) },
          logger: s.logger,
          clock: s.clock,
          rebuild: () => this.requestRebuild(),
        })
      : undefined;
    this.webmentions = new WebmentionEndpoint({
      settings: s,
      classifyTarget: (url) => {
        const found = this.classifyTarget(url);
        if ('key' in found) return found;
        return { refused: found.refused === 'not-ours' ? 'targetNotOurs' : found.refused === 'missing' ? 'targetNotFound' : 'targetUnusable' };
      },
      fetchSource: (url, clientAddress, now, notBefore) =>
        this.cache.get(url, now, () => this.fetcher.fetch(url, clientAddress, undefined, 'webmention'), notBefore),
      guarded: (what, call) => this.guarded(what, call),
      requestRebuild: () => this.requestRebuild(),
      arrivalContext: (context) => this.arrivalContext(context),
    });
  }

  /** The moderation page's absolute URL, when it is on. */
  get moderationUrl(): string | undefined {
    return this.admin ? new URL(this.admin.path, this.settings.site).href : undefined;
  }

  /** The absolute XML-RPC endpoint URL pages advertise. */
  get endpoint(): string {
    return new URL(this.settings.endpointPath, this.settings.site).href;
  }

  /** The absolute Webmention endpoint URL pages advertise. */
  get webmentionEndpoint(): string {
    return new URL(this.settings.webmentionPath, this.settings.site).href;
  }

  /** Webmentions accepted and not yet verified. */
  get pendingWebmentions(): number {
    return this.webmentions.pending;
  }

  /** Resolves when every Webmention accepted so far has been verified (and stored, updated or dropped). */
  idle(): Promise<void> {
    return this.webmentions.idle();
  }

  /** The Web face of the receiver (Netlify Functions): reads the body within the cap and answers. */
  async handle(request: Request, context: RequestContext = {}): Promise<Response> {
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const { body, complete } = hasBody ? await readCapped(request, this.settings.maxRequestBytes) : { body: null, complete: true };
    const answer = await this.respond(
      { method: request.method, url: new URL(request.url), header: (name) => request.headers.get(name), body, complete },
      context,
    );
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }

  /** The receiver itself, on plain request and response shapes. */
  async respond(request: PlainRequest, context: RequestContext = {}): Promise<PlainResponse> {
    const { endpointPath, webmentionPath, readPath } = this.settings;
    const path = request.url.pathname;
    if (path === webmentionPath) return this.webmentions.respond(request, context);
    if (path === endpointPath) {
      if (request.method !== 'POST') {
        return plain(405, 'Pingback XML-RPC endpoint: POST an XML-RPC request here.\n', { allow: 'POST', 'content-type': 'text/plain; charset=utf-8' });
      }
      return plain(200, await this.xmlrpc(request, context), XML_HEADERS);
    }
    if (path === readPath) return handleRead(request, this.settings, this.listing);
    if (this.admin?.owns(path)) return this.admin.handle(request, context);
    return plain(404, 'Not found\n', { 'content-type': 'text/plain; charset=utf-8' });
  }

  /** One XML-RPC request to one XML-RPC response body; never throws. */
  private async xmlrpc(request: PlainRequest, context: RequestContext): Promise<string> {
    try {
      if (!request.complete || (request.body?.byteLength ?? 0) > this.settings.maxRequestBytes) throw fault(FaultCode.PARSE_ERROR, MESSAGES.tooLarge);
      const { parseMethodCall } = await loadXmlRpcParser();
      const call = parseMethodCall(request.body ?? new Uint8Array(0));
      checkSignature(call, RECEIVER_METHODS);
      const [a, b] = call.params as string[];
      switch (call.methodName) {
        case 'system.listMethods':
          return writeMethodResponse(Object.keys(RECEIVER_METHODS));
        case 'pingback.extensions.getPingbacks':
          return writeMethodResponse(await this.getPingbacks(a!));
        default:
          return writeMethodResponse(await this.ping(a!, b!, context));
      }
    } catch (error) {
      if (error instanceof PingbackFault) return writeFault(error.code, error.message);
      if (error instanceof StoreError) {
        this.settings.logger.error(`[pingback] store: ${error.message}`);
        return writeFault(FaultCode.UPSTREAM_ERROR, MESSAGES.storeDown);
      }
      this.settings.logger.error(`[pingback] internal error: ${(error as Error)?.stack ?? String(error)}`);
      return writeFault(FaultCode.GENERIC, MESSAGES.internal);
    }
  }

  /** Step 2: the target, with no network at all. Returns the canonical key of its post (an alias's post for an old URL). */
  private checkTarget(target: string): string {
    const found = this.classifyTarget(URL.parse(target));
    if ('key' in found) return found.key;
    if (found.refused === 'not-ours') throw fault(FaultCode.TARGET_CANNOT_BE_USED, MESSAGES.notOurs);
    if (found.refused === 'missing') throw fault(FaultCode.TARGET_NOT_FOUND, MESSAGES.targetMissing);
    throw fault(FaultCode.TARGET_CANNOT_BE_USED, MESSAGES.targetUnusable);
  }

  /**
   * The target's canonical key when it is a post of this site that takes linkbacks, or an old URL of one
   * (both protocols ask the same), else why not: another site's, definitely no page (only when the site knows every page), or
   * a page that takes none.
   */
  private classifyTarget(url: URL | null): { key: string } | { refused: 'not-ours' | 'missing' | 'unusable' } {
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !this.settings.siteMatcher.isOwn(url)) return { refused: 'not-ours' };
    const key = canonicalKey(url);
    // An old URL the site redirects (or an import matched) stands for its post: stored under the post's key.
    const post = postKeyOf(key, this.settings.isPingable, this.settings.aliasOf);
    if (post !== null) return { key: post };
    return { refused: this.settings.pageExists(key) === false ? 'missing' : 'unusable' };
  }

  /** A store call on the request path: any failure or a missed deadline becomes a `StoreError` (fault 50). */
  private guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
    return guardStoreCall(what, this.settings.storeTimeoutMs, call);
  }

  private async getPingbacks(target: string): Promise<string[]> {
    const key = this.checkTarget(target);
    const records = await this.guarded('list', () => this.settings.store.list({ key }));
    return records.filter(isVisible).map((r) => r.source);
  }

  private async ping(source: string, target: string, context: RequestContext): Promise<string> {
    const s = this.settings;
    const now = s.clock.now();
    // 2. The target, no network.
    const key = this.checkTarget(target);

    // 3. Still no network: who is asking, and have we seen this before?
    const sourceUrl = URL.parse(source);
    if (!sourceUrl || (sourceUrl.protocol !== 'http:' && sourceUrl.protocol !== 'https:') || sourceUrl.username || sourceUrl.password) {
      throw fault(FaultCode.SOURCE_NOT_FOUND, MESSAGES.sourceUnavailable);
    }
    if (s.siteMatcher.isOwn(sourceUrl)) throw fault(FaultCode.GENERIC, MESSAGES.ownSite);
    if (await this.guarded('blocklist', () => isBlocked(sourceUrl, s.blocklist, s.store, now))) throw fault(FaultCode.ACCESS_DENIED, MESSAGES.denied);
    // A limiter may keep its windows in the store (StoreRateLimiter), so it gets the same guard.
    const { clientAddress } = context;
    if (clientAddress && !(await this.guarded('rate limit', () => s.rateLimiter.allow('client', clientAddress, now)))) {
      throw fault(FaultCode.ACCESS_DENIED, MESSAGES.tooMany);
    }
    // One bucket per host however it is spelled: `blog.example.` is `blog.example`.
    if (!(await this.guarded('rate limit', () => s.rateLimiter.allow('source-host', canonicalHostname(sourceUrl), now)))) {
      throw fault(FaultCode.ACCESS_DENIED, MESSAGES.tooMany);
    }
    // One page, one pingback: the id comes from the source's canonical form. A record stored before ids
    // were canonical sits under the id of the URL as parsed; a re-ping of exactly that URL must find it.
    const id = recordId(key, source);
    const legacyId = legacyRecordId(key, source);
    if (await this.guarded('get', () => s.store.get(id))) throw fault(FaultCode.ALREADY_REGISTERED, MESSAGES.alreadyRegistered);
    if (legacyId !== id && (await this.guarded('get', () => s.store.get(legacyId)))) throw fault(FaultCode.ALREADY_REGISTERED, MESSAGES.alreadyRegistered);

    // 4–5. Fetch the source through the guarded fetcher.
    const reading = loadSourceReading();
    let response: HttpResponse;
    try {
      const identity = sourceUrl.href.replace(/#.*$/, '');
      response = await this.cache.get(identity, now, () => this.fetcher.fetch(identity, context.clientAddress));
    } catch (error) {
      if (error instanceof TransportError && error.kind === 'busy') throw fault(FaultCode.UPSTREAM_ERROR, MESSAGES.busy);
      if (error instanceof TransportError) {
        s.logger.info(`[pingback] source ${sourceUrl.host} unavailable (${error.kind})`);
        throw fault(FaultCode.SOURCE_NOT_FOUND, MESSAGES.sourceUnavailable);
      }
      throw error;
    }
    if (response.status < 200 || response.status >= 300) throw fault(FaultCode.SOURCE_NOT_FOUND, MESSAGES.sourceUnavailable);
    const contentType = firstHeader(response, 'content-type');
    if (!isTextualType(parseContentType(contentType).type)) throw fault(FaultCode.SOURCE_HAS_NO_LINK, MESSAGES.noLink);

    // 6–7. Verify and extract.
    const { sniffCharset, verifySource } = await reading;
    const html = decodeText(response.body, sniffCharset(response.body, contentType));
    const facts = verifySource({
      html,
      sourceUrl: response.url,
      target,
      key,
      site: s.siteMatcher,
      ...(firstHeader(response, 'content-language') ? { contentLanguage: firstHeader(response, 'content-language')! } : {}),
    });
    if (!facts) throw fault(FaultCode.SOURCE_HAS_NO_LINK, MESSAGES.noLink);

    // 8. Insert atomically; a twin that got there first makes this one a duplicate.
    const status = await this.guarded('allow list', () => statusOnArrival({ source }, s, s.store));
    const record: PingbackRecord = {
      id,
      source,
      target,
      key,
      status,
      ...facts,
      receivedAt: new Date(now).toISOString(),
    };
    if (!(await this.guarded('insert', () => s.store.insert(record)))) throw fault(FaultCode.ALREADY_REGISTERED, MESSAGES.alreadyRegistered);
    s.logger.info(`[pingback] ${record.status}: ${source} → ${key}`);
    notifyArrival(record, this.arrivalContext(context));

    // 9. Answer; the rebuild runs on after the answer where the platform allows it.
    if (record.status === 'approved' && s.rebuildHookUrl) {
      const rebuild = this.requestRebuild().catch((error: unknown) => s.logger.warn(`[pingback] rebuild: ${(error as Error).message}`));
      if (context.waitUntil) context.waitUntil(rebuild);
    }
    return `Pingback from ${source} to ${target} registered. Keep the web talking!`;
  }

  /** What `notifyArrival` needs from this receiver; the Webmention side passes the same. */
  arrivalContext(context: RequestContext = {}): ArrivalContext {
    return {
      notifier: this.notifier,
      site: this.settings.site.href,
      ...(this.moderationUrl ? { moderationUrl: this.moderationUrl } : {}),
      ...(context.waitUntil ? { waitUntil: context.waitUntil } : {}),
    };
  }

  /** Triggers the rebuild hook (at most once per interval); used after an auto-approved ping and by `approve`. */
  async requestRebuild(): Promise<string> {
    const s = this.settings;
    if (!s.rebuildHookUrl) return 'no rebuild hook configured';
    const result = await triggerRebuild(s.store, s.rebuildHookUrl, s.rebuildIntervalMs, s.clock.now());
    s.logger.info(`[pingback] ${result.message}`);
    return result.message;
  }

  /**
   * Asks for a rebuild that a change is owed (it came after its interval's rebuild was asked for, or the
   * hook failed), once that interval is over; a long-running shell calls it on a timer. The message, or
   * null when nothing was due.
   */
  async settleRebuild(): Promise<string | null> {
    const s = this.settings;
    if (!s.rebuildHookUrl) return null;
    const result = await settleOwedRebuild(s.store, s.rebuildHookUrl, s.rebuildIntervalMs, s.clock.now());
    if (result) s.logger.info(`[pingback] owed rebuild: ${result.message}`);
    return result?.message ?? null;
  }

  /**
   * Stops: Webmentions still being verified get up to the source deadline to finish, then the connections
   * and the webhook's queue close. The store is the shell's: it closes it after this.
   */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.settings.source.timeoutMs)))]);
    clearTimeout(timer);
    await Promise.all([this.fetcher.close(), this.notifier?.close()]);
  }
}

export function createReceiver(options: ReceiverOptions): Receiver {
  return new Receiver(options);
}
