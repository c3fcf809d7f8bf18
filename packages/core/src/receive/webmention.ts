import { TransportError } from '../errors.ts';
import type { WebmentionAnswerName } from '../faults.ts';
import { WebmentionAnswer, WebmentionRefusal } from '../faults.ts';
import type { HttpResponse } from '../net/http-request.ts';
import { firstHeader } from '../net/http-request.ts';
import { decodeText, parseContentType } from '../net/media-type.ts';
import { canonicalHostname } from '../site/canonical.ts';
import type { PingbackRecord } from '../store/record.ts';
import { isPersistentDelete, isVisible, legacyRecordId, recordId, tombstone } from '../store/record.ts';
import { StoreError } from '../store/store.ts';
import type { ArrivalContext } from '../notify/notify-arrival.ts';
import { notifyArrival } from '../notify/notify-arrival.ts';
import { isFormContentType, parseWebmentionForm } from '../webmention/receive-form.ts';
import { isBlocked } from './blocklist.ts';
import { statusOnArrival } from './moderation.ts';
import type { PlainRequest, PlainResponse } from './plain-http.ts';
import { plain } from './plain-http.ts';
import type { ReceiverSettings } from './receiver-options.ts';
import { VerificationQueue } from './verification-queue.ts';
import { loadSourceReading } from './source-reading-loader.ts';
import type { SourceFacts } from './verify.ts';

/** Seconds a sender is asked to wait after a 429 or a 503. */
export const WEBMENTION_RETRY_AFTER = 60;

/** What the Webmention side needs of the receiver it lives in. */
export interface WebmentionHost {
  readonly settings: ReceiverSettings;
  /** The target's post key, or the answer that refuses it (no network). */
  classifyTarget(url: URL): { key: string } | { refused: 'targetNotOurs' | 'targetNotFound' | 'targetUnusable' };
  /** The source through the shared cache and guarded fetcher; `notBefore` refuses a copy fetched earlier. */
  fetchSource(url: string, clientAddress: string | undefined, now: number, notBefore?: number): Promise<HttpResponse>;
  /** A store call with the receiver's deadline; failures become `StoreError`. */
  guarded<T>(what: string, call: () => Promise<T>): Promise<T>;
  requestRebuild(): Promise<string>;
  /** What the arrival webhook needs, for the request that brought the Webmention. */
  arrivalContext(context: WebmentionContext): ArrivalContext;
}

export interface WebmentionContext {
  clientAddress?: string;
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** One accepted Webmention, as its verification needs it. */
interface Job {
  source: string;
  target: string;
  key: string;
  id: string;
  /** When it was accepted: a stored record is only updated from a copy of the source fetched since. */
  arrival: number;
  clientAddress: string | undefined;
  /** The request's context: the webhook's delivery is handed to its `waitUntil` as the verification is. */
  context: WebmentionContext;
}

/** The outcome of reading a fetched source for its link; `unsure` and `failed` say why. */
type Reading = { kind: 'link'; facts: SourceFacts } | { kind: 'no-link'; why: string } | { kind: 'unsure' | 'failed'; why: string };

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

function answer(name: WebmentionAnswerName, head = false, headers: Record<string, string> = {}): PlainResponse {
  const { status, message } = WebmentionAnswer[name];
  return plain(status, head ? null : `${message}\n`, { ...TEXT, ...headers });
}

const retryLater = { 'retry-after': String(WEBMENTION_RETRY_AFTER) };

/** What a reader sees changed between two records of one pair: the published content and its state. */
function sameContent(a: PingbackRecord, b: PingbackRecord): boolean {
  const pick = (r: PingbackRecord) => JSON.stringify([r.title, r.excerpt, r.author, r.published, r.lang, r.kind, r.url]);
  return pick(a) === pick(b);
}

/**
 * The Webmention side of the receiver (W3C Webmention, 12 January 2017, §3.2). A POST is checked at once
 * with no network, cheapest first (method, size, type, the form, the target, the source's site,
 * blocklist and rate limits), each refusal a short plain-text 4xx; what passes is queued and answered
 * 202, and verified afterwards (`context.waitUntil` keeps a Netlify Function alive for it; `pingback
 * serve` is a long-lived process): the source fetched through the same guarded fetcher, cache and
 * limits as Pingback, its link checked by media type, and the record inserted, updated, deleted or left
 * alone (§3.2.4):
 *
 * - a new pair with the link is stored (pending or approved, as `statusOnArrival` says) and the arrival
 *   webhook told, as for a pingback;
 * - a stored pair with the link is updated in place (id, status and receivedAt kept; `updatedAt` set
 *   when the content changed; `protocol` becomes `webmention`), idempotently: an unchanged source writes
 *   nothing;
 * - a source that answers 410, or 200 without the link, turns a stored pair into a tombstone deleted by
 *   the source, which a later valid Webmention brings back (a new arrival again: moderated and told to
 *   the webhook); the owner's deletes are never undone;
 * - anything else (a network failure, a 404 or 500, a page cut at the byte cap before any link) changes
 *   nothing: it says nothing certain about the source.
 */
export class WebmentionEndpoint {
  private readonly host: WebmentionHost;
  private readonly queue: VerificationQueue;

  constructor(host: WebmentionHost, queue = new VerificationQueue()) {
    this.host = host;
    this.queue = queue;
  }

  /** Webmentions accepted and not yet verified. */
  get pending(): number {
    return this.queue.size;
  }

  /** Resolves when every accepted Webmention has been verified. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Answers one request to the endpoint; never throws. */
  async respond(request: PlainRequest, context: WebmentionContext = {}): Promise<PlainResponse> {
    const s = this.host.settings;
    if (request.method !== 'POST') return answer('notPost', request.method === 'HEAD', { allow: 'POST' });
    try {
      if (!request.complete || (request.body?.byteLength ?? 0) > s.maxRequestBytes) throw new WebmentionRefusal('tooLarge');
      if (!isFormContentType(request.header('content-type'))) throw new WebmentionRefusal('notForm');
      const form = parseWebmentionForm(request.body ?? new Uint8Array(0));
      const target = this.host.classifyTarget(form.targetUrl);
      if ('refused' in target) throw new WebmentionRefusal(target.refused);
      const now = s.clock.now();
      if (s.siteMatcher.isOwn(form.sourceUrl)) throw new WebmentionRefusal('ownSite');
      const id = recordId(target.key, form.source);
      // A full queue is told before the rate windows count the request: the sender will try again.
      if (!this.queue.takes(id)) throw new WebmentionRefusal('busy');
      // A blocked host is answered like a rate-limited one, as the rate limits and blocklist of Pingback
      // share fault 49: the sender is told to stop for now, not why.
      if (await this.host.guarded('blocklist', () => isBlocked(form.sourceUrl, s.blocklist, s.store, now))) throw new WebmentionRefusal('tooMany');
      const { clientAddress } = context;
      if (clientAddress && !(await this.host.guarded('rate limit', () => s.rateLimiter.allow('client', clientAddress, now))))
        throw new WebmentionRefusal('tooMany');
      if (!(await this.host.guarded('rate limit', () => s.rateLimiter.allow('source-host', canonicalHostname(form.sourceUrl), now))))
        throw new WebmentionRefusal('tooMany');

      const job: Job = { source: form.source, target: form.target, key: target.key, id, arrival: now, clientAddress, context };
      const { submitted, done } = this.queue.submit(job.id, canonicalHostname(form.sourceUrl), () => this.verify(job));
      if (submitted === 'full') throw new WebmentionRefusal('busy');
      context.waitUntil?.(done);
      return answer('accepted');
    } catch (error) {
      if (error instanceof WebmentionRefusal) {
        return answer(error.answer, false, error.status === 429 || error.status === 503 ? retryLater : {});
      }
      if (error instanceof StoreError) {
        s.logger.error(`[pingback] store: ${error.message}`);
        return answer('storeDown', false, retryLater);
      }
      s.logger.error(`[pingback] webmention: internal error: ${(error as Error)?.stack ?? String(error)}`);
      return answer('internal');
    }
  }

  /**
   * Step 2 of the spec, after the answer. Never throws; logs one line per verification, `[pingback]
   * webmention <outcome>: <source> → <post>`, whatever the outcome.
   */
  private async verify(job: Job): Promise<void> {
    const s = this.host.settings;
    const done = (outcome: string, why = '') => s.logger.info(`[pingback] webmention ${outcome}: ${job.source} → ${job.key}${why ? ` (${why})` : ''}`);
    try {
      const legacyId = legacyRecordId(job.key, job.source);
      const existing =
        (await this.host.guarded('get', () => s.store.get(job.id))) ??
        (legacyId !== job.id ? await this.host.guarded('get', () => s.store.get(legacyId)) : null);
      if (existing && isPersistentDelete(existing)) return done('ignored', "deleted by the site's owner");
      const reading = await this.read(job, existing);
      if (reading.kind === 'link') return done(await this.store(job, existing, reading.facts));
      const known = existing !== null && existing.deletedAt === undefined;
      if (reading.kind === 'no-link' && known) {
        await this.deleteBySource(existing);
        return done('deleted by its source', reading.why);
      }
      // Unlike "no link", a failure says nothing about the source: what is stored stays as it is.
      done(known ? 'left as it was' : 'not stored', reading.why);
    } catch (error) {
      if (error instanceof StoreError) s.logger.error(`[pingback] store: ${error.message} (webmention ${job.source} → ${job.key} not verified)`);
      else s.logger.error(`[pingback] webmention: internal error: ${(error as Error)?.stack ?? String(error)}`);
    }
  }

  /** The source fetched and read for its link. */
  private async read(job: Job, existing: PingbackRecord | null): Promise<Reading> {
    const s = this.host.settings;
    const sourceUrl = new URL(job.source);
    sourceUrl.hash = '';
    const reading = loadSourceReading();
    let response: HttpResponse;
    try {
      response = await this.host.fetchSource(sourceUrl.href, job.clientAddress, s.clock.now(), existing ? job.arrival : undefined);
    } catch (error) {
      // Ends as "unavailable (<kind>)": pingback serve's log adds what would let a forbidden address through.
      if (error instanceof TransportError) return { kind: 'failed', why: `source ${sourceUrl.host} unavailable (${error.kind})` };
      throw error;
    }
    if (response.status === 410) return { kind: 'no-link', why: 'the source answered 410 Gone' };
    if (response.status < 200 || response.status >= 300) return { kind: 'failed', why: `the source answered ${response.status}` };
    const { extractFacts, findHtmlLink, jsonHasLink, plainFacts, sniffCharset, sourceMedia, textLinkAt } = await reading;
    const contentType = firstHeader(response, 'content-type');
    const media = sourceMedia(contentType);
    // A page cut at the byte cap may hold the link further on: its absence proves nothing.
    const missing: Reading = response.truncated
      ? { kind: 'unsure', why: 'no link in the part of the source read' }
      : { kind: 'no-link', why: 'no link to the target' };
    if (media === null) return { kind: 'no-link', why: `no link in a ${parseContentType(contentType).type} source` };
    if (media === 'html') {
      const html = decodeText(response.body, sniffCharset(response.body, contentType));
      const link = findHtmlLink(html, response.url, job.target);
      if (!link) return missing;
      const contentLanguage = firstHeader(response, 'content-language');
      const facts = extractFacts(
        { html, sourceUrl: response.url, target: job.target, key: job.key, site: s.siteMatcher, ...(contentLanguage ? { contentLanguage } : {}) },
        link.at,
        link.base,
      );
      return { kind: 'link', facts };
    }
    const text = decodeText(response.body, parseContentType(contentType).charset ?? 'utf-8');
    if (media === 'json') return jsonHasLink(text, job.target) ? { kind: 'link', facts: plainFacts(response.url, null, -1) } : missing;
    const at = textLinkAt(text, job.target);
    return at >= 0 ? { kind: 'link', facts: plainFacts(response.url, text, at) } : missing;
  }

  private async deleteBySource(existing: PingbackRecord): Promise<void> {
    const s = this.host.settings;
    const visible = isVisible(existing);
    await this.host.guarded('update', () => s.store.update(tombstone(existing, new Date(s.clock.now()).toISOString(), 'source')));
    if (visible) await this.rebuild();
  }

  /** Inserts, updates or restores the pair's record; returns what it did, for the log. */
  private async store(job: Job, existing: PingbackRecord | null, facts: SourceFacts): Promise<string> {
    const s = this.host.settings;
    const at = new Date(s.clock.now()).toISOString();
    const fresh = (base: Pick<PingbackRecord, 'id' | 'source' | 'target' | 'key' | 'status' | 'receivedAt'>): PingbackRecord => ({
      ...base,
      ...facts,
      protocol: 'webmention',
    });
    // A new arrival and a revival get the status moderation gives a new linkback, as a pingback would.
    const arrivalStatus = () => this.host.guarded('allow list', () => statusOnArrival({ source: job.source }, s, s.store));
    if (!existing) {
      const record = fresh({ id: job.id, source: job.source, target: job.target, key: job.key, status: await arrivalStatus(), receivedAt: at });
      if (await this.host.guarded('insert', () => s.store.insert(record))) {
        this.arrived(record, job);
        if (isVisible(record)) await this.rebuild();
        return record.status;
      }
      // A twin got there first (the pingback WordPress sends beside it, say): this one updates it.
      const twin = await this.host.guarded('get', () => s.store.get(job.id));
      if (!twin || isPersistentDelete(twin)) return 'ignored';
      return this.store(job, twin, facts);
    }
    let next: PingbackRecord;
    const revived = existing.deletedAt !== undefined;
    if (revived) {
      // Deleted by its source, and linking again: back, as a new arrival would be.
      next = {
        ...fresh({
          id: existing.id,
          source: job.source,
          target: job.target,
          key: existing.key,
          status: await arrivalStatus(),
          receivedAt: existing.receivedAt,
        }),
        updatedAt: at,
      };
    } else {
      next = fresh({
        id: existing.id,
        source: existing.source,
        target: existing.target,
        key: existing.key,
        status: existing.status,
        receivedAt: existing.receivedAt,
      });
      if (existing.updatedAt) next.updatedAt = existing.updatedAt;
      if (!sameContent(existing, next)) next.updatedAt = at;
      else if (existing.protocol === 'webmention') return 'unchanged'; // the same again: nothing to write
    }
    await this.host.guarded('update', () => s.store.update(next));
    // A revival is an arrival for the owner; an update of what they already heard of is not.
    if (revived) this.arrived(next, job);
    if (isVisible(existing) || isVisible(next)) await this.rebuild();
    return revived ? `restored as ${next.status}` : 'updated';
  }

  /** Tells the arrival webhook; returns at once (the delivery runs on, under the request's `waitUntil`). */
  private arrived(record: PingbackRecord, job: Job): void {
    notifyArrival(record, this.host.arrivalContext(job.context));
  }

  /** Part of the verification, so `waitUntil` keeps it alive too; a failed hook is logged, nothing more. */
  private async rebuild(): Promise<void> {
    const s = this.host.settings;
    if (!s.rebuildHookUrl) return;
    await this.host.requestRebuild().catch((error: unknown) => s.logger.warn(`[pingback] rebuild: ${(error as Error).message}`));
  }
}
