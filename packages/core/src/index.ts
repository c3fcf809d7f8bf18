export { FaultCode, PingbackFault, faultCodeName, isPingbackFault } from './faults.ts';
export type { FaultCodeName } from './faults.ts';
export { BadReplyError, ErrorCode, PingbackInputError, PingbackOptionError, TransportError } from './errors.ts';
export type { TransportFailure } from './errors.ts';
export { VERSION } from './version.ts';

export * from './xmlrpc/index.ts';

export type { Clock, ClientOptions, ResolvedClientOptions } from './client-options.ts';
export { CLIENT_DEFAULTS, resolveClientOptions, systemClock } from './client-options.ts';
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
