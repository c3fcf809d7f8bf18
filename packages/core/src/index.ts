export { FaultCode, PingbackFault, WebmentionAnswer, WebmentionRefusal, faultCodeName, isPingbackFault } from './faults.ts';
export type { FaultCodeName, WebmentionAnswerName } from './faults.ts';
export { BadReplyError, ErrorCode, PingbackInputError, PingbackOptionError, TransportError } from './errors.ts';
export type { TransportFailure } from './errors.ts';
export { VERSION } from './version.ts';

export * from './xmlrpc/index.ts';

export type { Clock } from './clock.ts';
export { systemClock } from './clock.ts';
export type { ClientOptions, ResolvedClientOptions } from './net/client-options.ts';
export { CLIENT_DEFAULTS, resolveClientOptions } from './net/client-options.ts';
export { checkUrl as checkUrlOption } from './option-checks.ts';
export { userAgent } from './net/user-agent.ts';
export type { HttpRequest, HttpResponse } from './net/http-request.ts';
export { firstHeader, httpRequest } from './net/http-request.ts';

export type { Discovery, DiscoveredVia } from './pingback/discover.ts';
export { discoverEndpoint } from './pingback/discover.ts';
export type { PingStatus } from './outcome.ts';
export { PING_STATUSES, isDone, statusForFault } from './outcome.ts';
export type { PingOptions, PingResult } from './pingback/ping.ts';
export { sendPingback } from './pingback/ping.ts';
export { callXmlRpc } from './pingback/xmlrpc-call.ts';

export type { DirectoryResult, DirectoryStatus, UpdateNotice } from './pingback/directory.ts';
export { DIRECTORY_TIMEOUT_MS, directoryWarnings, notifyDirectories, notifyDirectory } from './pingback/directory.ts';

export type { WebmentionDiscovery, WebmentionEndpoint, WebmentionVia } from './webmention/discover.ts';
export { isHtmlType, webmentionFromResponse } from './webmention/discover.ts';
export type { WebmentionOutcome } from './webmention/send.ts';
export { WEBMENTION_REPLY_BYTES, postWebmention, replyReason, webmentionOutcome } from './webmention/send.ts';
export type { LinkValue } from './net/link-header.ts';
export { parseLinkHeader } from './net/link-header.ts';
export type { HttpTransport } from './net/http-request.ts';
export type { Chosen, EndpointsDiscovery } from './send/discover-endpoints.ts';
export { chooseEndpoint, discoverEndpoints, noEndpointReason } from './send/discover-endpoints.ts';
export type { ProtocolOptions, ResolvedProtocols, SendProtocol } from './send/protocols.ts';
export { SEND_PROTOCOLS, resolveProtocols } from './send/protocols.ts';
export type { SendPolicyOptions } from './send/sender-guard.ts';
export type { WebmentionOptions, WebmentionResult } from './send/send-webmention.ts';
export { sendWebmention } from './send/send-webmention.ts';
export { pingbackFromResponse } from './pingback/discover.ts';
export type { BatchOptions, BatchReport, PingPair, SendRow, SendStatus } from './send/batch.ts';
export { BATCH_DEFAULTS, SEND_STATUSES, countRows, sendBatch } from './send/batch.ts';
export type { DecideContext, Decision, Ledger, LedgerEntry, RetryPolicy } from './send/ledger.ts';
export { DEFAULT_RETRY, MemoryLedger, decide, decideDeleted, entryProtocol, ledgerKey, nextEntry } from './send/ledger.ts';
export { FileLedger } from './send/ledger-file.ts';
export { replaceFile, writeFileAtomic } from './store/atomic-file.ts';

export { COMMENT, END_TAG, EOF, HtmlScanner, START_TAG, hasToken, tokens } from './html/html-scan.ts';
export type { ScannerOptions, TokenKind } from './html/html-scan.ts';
export type { BoundedDocument, DocumentLimits, HtmlNode, HtmlText, Namespace } from './html/bounded-document.ts';
export { DOCUMENT_LIMITS, HtmlElement, elementAt, findElement, parseBoundedDocument, textContent, walk } from './html/bounded-document.ts';
export { serializeDocument, serializeElement } from './html/serialize-document.ts';
export type { SelectorList } from './html/selector.ts';
export { parseSelector } from './html/selector.ts';
export type { ContentOption, PageScan, PageScanSettings } from './html/page-scan.ts';
export { DEFAULT_CONTENT, DEFAULT_EXCLUDE, pageScanSettings, scanPage } from './html/page-scan.ts';
export type { SiteMatcher } from './site/site.ts';
export { siteMatcher } from './site/site.ts';
export type { TargetFilter } from './site/links.ts';
export { selectTargets } from './site/links.ts';
export { decodeText, isTextualType, parseContentType } from './net/media-type.ts';

export { canonicalHost, canonicalKey, canonicalKeyOfPath, canonicalSource } from './site/canonical.ts';
export type { HostPattern } from './site/host-pattern.ts';
export { compileHostPattern, compileHostPatterns } from './site/host-pattern.ts';
export type { Manifest, ManifestGone, ManifestPost } from './site/manifest.ts';
export {
  DEFAULT_MANIFEST_PATH,
  MANIFEST_VERSION,
  ManifestError,
  PUBLISHED_MANIFEST_PATH,
  TOMBSTONE_PATH,
  goneSince,
  manifestAdvertises,
  parseManifest,
  readManifest,
} from './site/manifest.ts';

export type { DeletedBy, LinkbackKind, LinkbackProtocol, LinkbackRecord, PingbackAuthor, PingbackRecord, RecordStatus } from './store/record.ts';
export {
  LINKBACK_KINDS,
  LINKBACK_PROTOCOLS,
  RECORD_STATUSES,
  compareRecords,
  isPersistentDelete,
  isRecord,
  isVisible,
  keyHash,
  parseRecordId,
  recordId,
  recordKind,
  recordProtocol,
  sourceIdentity,
  tombstone,
} from './store/record.ts';
export type { PingbackStore, RecordCursor, SharedRateLimiter } from './store/store.ts';
export { StoreError, checkMetaName } from './store/store.ts';
export type { PostgresModule } from './store/store-location.ts';
export { DATABASE_URL_ENV, databaseUrlFromEnv, isDatabaseUrl, openDatabaseStore, redactUrl } from './store/store-location.ts';
export { MemoryStore } from './store/memory-store.ts';
export { FileStore } from './store/file-store.ts';
export { SNAPSHOT_MAX_BYTES, SNAPSHOT_META, SnapshotListing } from './store/snapshot-listing.ts';

export type { RequestContext } from './receive/receiver.ts';
export { MESSAGES, RECEIVER_METHODS, Receiver, createReceiver } from './receive/receiver.ts';
export type { Moderation, ReceiverOptions, ReceiverSettings } from './receive/receiver-options.ts';
export { RECEIVER_DEFAULTS, resolveReceiverOptions } from './receive/receiver-options.ts';
export type { PublicPingback } from './receive/read-endpoint.ts';
export { READ_LIMIT, publicRecord } from './receive/read-endpoint.ts';
export type { RateLimiter, RateScope } from './receive/rate-limit.ts';
export { MemoryRateLimiter, RATE_LIMITER_MAX_KEYS, RATE_WINDOW_MS, StoreRateLimiter } from './receive/rate-limit.ts';
export { BLOCKLIST_META, blockHost, readRuntimeBlocklist } from './receive/blocklist.ts';
export type { Logger } from './receive/logger.ts';
export { silentLogger } from './receive/logger.ts';
export type { Resolver, SourcePolicy } from './net/guarded-fetch.ts';
export { SOURCE_CONCURRENCY, SOURCE_QUEUE, SourceFetcher } from './net/guarded-fetch.ts';
export type { SourceCacheLimits } from './receive/source-cache.ts';
export { SOURCE_CACHE_LIMITS } from './receive/source-cache.ts';
export { ipLiteral, isForbiddenAddress, parseIPv6 } from './net/ip-address.ts';
export type { SourceFacts } from './receive/verify.ts';
export { extractFacts, verifySource } from './receive/verify.ts';
export type { HtmlLink, SourceMedia } from './receive/link-check.ts';
export { findHtmlLink, jsonHasLink, sourceMedia, textLinkAt } from './receive/link-check.ts';
export type { EntryFacts, EntryInput } from './receive/extract/mf2.ts';
export { readEntry } from './receive/extract/mf2.ts';
export type { Mf2Input, Mf2InputLimits } from './receive/extract/mf2-input.ts';
export { MF2_INPUT_LIMITS, mf2Input } from './receive/extract/mf2-input.ts';
export { WEBMENTION_RETRY_AFTER } from './receive/webmention.ts';
export { VerificationQueue, WEBMENTION_CONCURRENCY, WEBMENTION_PER_HOST, WEBMENTION_QUEUE } from './receive/verification-queue.ts';
export type { WebmentionForm } from './webmention/receive-form.ts';
export { MAX_WEBMENTION_URL, isFormContentType, parseWebmentionForm } from './webmention/receive-form.ts';
export { settleOwedRebuild, triggerRebuild } from './receive/rebuild.ts';

export type { PageInfo } from './build/post-match.ts';
export { isRoutePattern, matchesAny, pathGlob } from './build/post-match.ts';
export type {
  Advertise,
  AdvertiseOptions,
  AdvertisedProtocols,
  IntegrationOptions,
  OnReadError,
  ReadFrom,
  ResolveContext,
  ResolvedIntegrationOptions,
  SendMode,
} from './build/options.ts';
export { INTEGRATION_DEFAULTS, resolveIntegrationOptions } from './build/options.ts';
export type { Exclusion, PageResult, PassSettings } from './build/page-pass.ts';
export { keptPage, pageInfo, passSettings, pingbackLinkTag, processPage, webmentionLinkTag } from './build/page-pass.ts';
export type { ManifestInput } from './build/manifest-builder.ts';
export { buildManifest } from './build/manifest-builder.ts';
export type { PostEntry } from './send/ledger.ts';
export type { Liveness } from './send/liveness.ts';
export { liveTargets, pageLinks } from './send/liveness.ts';
export type { OutboxOptions, OutboxReport } from './send/outbox.ts';
export { sendOutbox } from './send/outbox.ts';
export type { ReadOptions, ReadResult, ReadSource } from './read/read-pingbacks.ts';
export { readPingbacks } from './read/read-pingbacks.ts';
export type { AvatarMode, CountHtmlOptions, CountOptions, CountWords, GroupHeadings, RenderOptions, RenderParts } from './render/index.ts';
export {
  KIND_WORDS,
  LINKBACKS_CSS,
  PINGBACK_WORDS,
  RENDER_KINDS,
  RESPONSE_WORDS,
  checkKinds,
  countLinkbacks,
  escapeHtml,
  formatDate,
  groupByKey,
  kindOf,
  ofKinds,
  pingbackCountText,
  renderLinkbacksHtml,
  renderPingbackCountHtml,
  renderPingbackItem,
  renderPingbacksHtml,
  resolveRenderOptions,
  safeHref,
} from './render/index.ts';
export type { EmitStep, FinishInput, FinishResult } from './build/finish.ts';
export { finishBuild } from './build/finish.ts';
export { summary } from './build/summary.ts';
export type { OpenBlobs, OpenDatabase } from './read/build-read.ts';
export { buildReadSource, readForBuild } from './read/build-read.ts';
export { StoreLedger } from './send/store-ledger.ts';
export type { PlainRequest, PlainResponse } from './receive/plain-http.ts';

export type { Moderation as ModerationOption } from './receive/moderation.ts';
export { MODERATION_MODES, checkModeration, statusOnArrival } from './receive/moderation.ts';
export type { ModerationSettings } from './receive/moderation.ts';
export type { HostList } from './receive/host-lists.ts';
export { HOST_LISTS, HOST_LIST_MAX, addHost, matchesHostList, readHostList, removeHost } from './receive/host-lists.ts';
export type { AdminOptions, AdminSettings } from './admin/admin-options.ts';
export { ADMIN_DEFAULTS, resolveAdminOptions } from './admin/admin-options.ts';
export type { AdminDeps, AdminRequestContext } from './admin/admin-page.ts';
export { ADMIN_HEADERS, AdminPage } from './admin/admin-page.ts';
export type { Session, SessionKeys } from './admin/session.ts';
export { createSessionCookie, formToken, isAdminToken, readSessionCookie, sessionKeys } from './admin/session.ts';
export type { SignInLimiter } from './admin/sign-in-limit.ts';
export { MemorySignInLimiter, SIGN_IN_FAILURES, SIGN_IN_MAX_CLIENTS, SIGN_IN_WINDOW_MS, StoreSignInLimiter, signInClient } from './admin/sign-in-limit.ts';
export type { UndoEntry } from './admin/moderate.ts';
export { MAX_ITEMS_PER_ACTION, UNDO_META, moderateRecords } from './admin/moderate.ts';
export type { NotifyOptions, NotifySettings } from './notify/notify-options.ts';
export { NOTIFY_DEFAULTS, resolveNotifyOptions } from './notify/notify-options.ts';
export type { ArrivalEvent, NotifyFormat } from './notify/payload.ts';
export { ARRIVAL_EVENT, NOTIFY_FORMATS, webhookBody } from './notify/payload.ts';
export { WEBHOOK_SECRET_PREFIX, generateWebhookSecret, parseWebhookSecret, webhookSignature } from './notify/webhook-secret.ts';
export type { DeliveryOutcome } from './notify/deliver.ts';
export { WebhookNotifier } from './notify/deliver.ts';
export type { ArrivalContext } from './notify/notify-arrival.ts';
export { notifyArrival } from './notify/notify-arrival.ts';
export { ImportError } from './import/import-error.ts';
export { UrlAmpersandRepair } from './import/url-ampersands.ts';
export type { WxrComment, WxrEvent, WxrLimits, WxrPost, WxrReadResult } from './import/wxr.ts';
export { WXR_LIMITS, readWxr } from './import/wxr.ts';
export type { WxrRecordInput, WxrSkip } from './import/wxr-records.ts';
export { WXR_SKIPS, commentSource, wxrDate, wxrProtocol, wxrRecord, wxrSkip } from './import/wxr-records.ts';
export type { Jf2Entry, Jf2Skip } from './import/jf2.ts';
export { JF2_MAX_BYTES, JF2_SKIPS, jf2Entry, jf2Kind, jf2Record, parseJf2 } from './import/jf2.ts';
export type { Match, MatchVia } from './import/match.ts';
export { PostMatcher, oldUrlId, slugForm } from './import/match.ts';
export type { AliasesFile } from './import/aliases.ts';
export { ALIASES_FILE, ALIASES_VERSION, DEFAULT_ALIASES_PATH, mergeAliasesFile, parseImportMap, readAliasesFile } from './import/aliases.ts';
export type { ImportOptions, ImportReport, UnmatchedPost } from './import/importer.ts';
export { importWebmentionIo, importWordPress } from './import/importer.ts';
export type { AliasInput, AliasResult } from './site/aliases.ts';
export { aliasLookup, buildAliases, postKeyOf } from './site/aliases.ts';
export type { PathPattern, Redirect } from './site/redirects.ts';
export {
  compilePathPattern,
  fillPathPattern,
  matchPathPattern,
  parseRedirectsFile,
  patternNames,
  readDeclaredRedirects,
} from './site/redirects.ts';
export { parseNetlifyToml } from './site/netlify-toml.ts';
