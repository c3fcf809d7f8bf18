export { FaultCode, PingbackFault, faultCodeName, isPingbackFault } from './faults.ts';
export type { FaultCodeName } from './faults.ts';
export { BadReplyError, ErrorCode, PingbackInputError, PingbackOptionError, TransportError } from './errors.ts';
export type { TransportFailure } from './errors.ts';
export { VERSION } from './version.ts';

export * from './xmlrpc/index.ts';

export type { Clock, ClientOptions, ResolvedClientOptions } from './client-options.ts';
export { CLIENT_DEFAULTS, resolveClientOptions, systemClock } from './client-options.ts';
export { checkUrl as checkUrlOption } from './option-checks.ts';
export { userAgent } from './user-agent.ts';
export type { HttpRequest, HttpResponse } from './http-request.ts';
export { firstHeader, httpRequest } from './http-request.ts';

export type { Discovery, DiscoveredVia } from './discover.ts';
export { discoverEndpoint } from './discover.ts';
export type { PingStatus } from './outcome.ts';
export { PING_STATUSES, isDone, statusForFault } from './outcome.ts';
export type { PingOptions, PingResult } from './ping.ts';
export { sendPingback } from './ping.ts';
export { callXmlRpc } from './xmlrpc-call.ts';

export type { DirectoryResult, DirectoryStatus, UpdateNotice } from './directory.ts';
export { DIRECTORY_TIMEOUT_MS, directoryWarnings, notifyDirectories, notifyDirectory } from './directory.ts';

export type { BatchOptions, BatchReport, PingPair, SendRow, SendStatus } from './batch.ts';
export { BATCH_DEFAULTS, SEND_STATUSES, countRows, sendBatch } from './batch.ts';
export type { Decision, Ledger, LedgerEntry, RetryPolicy } from './ledger.ts';
export { DEFAULT_RETRY, MemoryLedger, decide, ledgerKey, nextEntry } from './ledger.ts';
export { FileLedger } from './ledger-file.ts';
export { writeFileAtomic } from './atomic-file.ts';

export { END_TAG, EOF, HtmlScanner, START_TAG, hasToken, tokens } from './html-scan.ts';
export type { TokenKind } from './html-scan.ts';
export type { SelectorList } from './selector.ts';
export { parseSelector } from './selector.ts';
export type { ContentOption, PageScan, PageScanSettings } from './page-scan.ts';
export { DEFAULT_CONTENT, DEFAULT_EXCLUDE, pageScanSettings, scanPage } from './page-scan.ts';
export type { SiteMatcher } from './site.ts';
export { siteMatcher } from './site.ts';
export type { TargetFilter } from './links.ts';
export { selectTargets } from './links.ts';
export { decodeText, isTextualType, parseContentType } from './media-type.ts';

export { canonicalKey, canonicalKeyOfPath } from './canonical.ts';
export type { HostPattern } from './host-pattern.ts';
export { compileHostPattern, compileHostPatterns } from './host-pattern.ts';
export type { Manifest, ManifestPost } from './manifest.ts';
export { DEFAULT_MANIFEST_PATH, MANIFEST_VERSION, ManifestError, parseManifest, readManifest } from './manifest.ts';

export type { PingbackAuthor, PingbackRecord, RecordStatus } from './store/record.ts';
export { RECORD_STATUSES, compareRecords, isRecord, isVisible, keyHash, parseRecordId, recordId, sourceIdentity, tombstone } from './store/record.ts';
export type { PingbackStore } from './store/store.ts';
export { StoreError } from './store/store.ts';
export { MemoryStore } from './store/memory-store.ts';
export { FileStore } from './store/file-store.ts';
export { SNAPSHOT_META, SnapshotListing } from './store/snapshot-listing.ts';

export type { RequestContext } from './receive/receiver.ts';
export { MESSAGES, RECEIVER_METHODS, Receiver, createReceiver } from './receive/receiver.ts';
export type { Moderation, ReceiverOptions, ReceiverSettings } from './receive/receiver-options.ts';
export { RECEIVER_DEFAULTS, resolveReceiverOptions } from './receive/receiver-options.ts';
export type { PublicPingback } from './receive/read-endpoint.ts';
export { READ_LIMIT, publicRecord } from './receive/read-endpoint.ts';
export type { RateLimiter, RateScope } from './receive/rate-limit.ts';
export { MemoryRateLimiter, RATE_WINDOW_MS, StoreRateLimiter } from './receive/rate-limit.ts';
export { BLOCKLIST_META, blockHost, readRuntimeBlocklist } from './receive/blocklist.ts';
export type { Logger } from './receive/logger.ts';
export { silentLogger } from './receive/logger.ts';
export type { Resolver, SourcePolicy } from './receive/source-fetch.ts';
export { SOURCE_CONCURRENCY, SourceFetcher } from './receive/source-fetch.ts';
export { ipLiteral, isForbiddenAddress, parseIPv6 } from './receive/ip-address.ts';
export type { SourceFacts } from './receive/verify.ts';
export { verifySource } from './receive/verify.ts';
export { triggerRebuild } from './receive/rebuild.ts';

export type { PageInfo } from './build/post-match.ts';
export { isRoutePattern, matchesAny, pathGlob } from './build/post-match.ts';
export type { Advertise, IntegrationOptions, OnReadError, ReadFrom, ResolveContext, ResolvedIntegrationOptions, SendMode } from './build/options.ts';
export { INTEGRATION_DEFAULTS, resolveIntegrationOptions } from './build/options.ts';
export type { Exclusion, PageResult, PassSettings } from './build/page-pass.ts';
export { pageInfo, passSettings, pingbackLinkTag, processPage } from './build/page-pass.ts';
export type { ManifestInput } from './build/manifest-builder.ts';
export { buildManifest } from './build/manifest-builder.ts';
export type { PostEntry } from './ledger.ts';
export type { Liveness } from './send/liveness.ts';
export { liveTargets, pageLinks } from './send/liveness.ts';
export type { OutboxOptions, OutboxReport } from './send/outbox.ts';
export { sendOutbox } from './send/outbox.ts';
export type { ReadOptions, ReadResult, ReadSource } from './read/read-pingbacks.ts';
export { readPingbacks } from './read/read-pingbacks.ts';
export type { RenderOptions } from './render/pingbacks-html.ts';
export { escapeHtml, formatDate, groupByKey, renderPingbackCountHtml, renderPingbackItem, renderPingbacksHtml, safeHref } from './render/pingbacks-html.ts';
export type { EmitStep, FinishInput, FinishResult } from './build/finish.ts';
export { finishBuild } from './build/finish.ts';
export { summary } from './build/summary.ts';
export type { OpenBlobs } from './read/build-read.ts';
export { buildReadSource, readForBuild } from './read/build-read.ts';
export { StoreLedger } from './store-ledger.ts';
export type { PlainRequest, PlainResponse } from './receive/plain-http.ts';
