// `@pingback/core/receive`: what a receiving shell (the Netlify Function) needs, and nothing else. A cold
// Function instance imports its entry on its first request: through the main entry that meant the
// sender, the importers, the build pass and the renderers too (about 150 ms on Node's loader). What
// the receiver itself needs only on some requests (the source-reading modules, the moderation page) it
// loads when they come.
export { PingbackOptionError } from '../errors.ts';
export type { Logger } from './logger.ts';
export type { Manifest } from '../site/manifest.ts';
export { ManifestError, parseManifest } from '../site/manifest.ts';
export type { PingbackRecord } from '../store/record.ts';
export { isRecord, keyHash, parseRecordId } from '../store/record.ts';
export type { PingbackStore, RecordCursor, SharedRateLimiter } from '../store/store.ts';
export { StoreError } from '../store/store.ts';
export type { PostgresModule } from '../store/store-location.ts';
export { databaseUrlFromEnv, openDatabaseStore } from '../store/store-location.ts';
export type { RequestContext } from './receiver.ts';
export { Receiver } from './receiver.ts';
export type { ReceiverOptions, ReceiverSettings } from './receiver-options.ts';
export { RECEIVER_DEFAULTS } from './receiver-options.ts';
export { RATE_WINDOW_MS, StoreRateLimiter } from './rate-limit.ts';
export { StoreSignInLimiter } from '../admin/sign-in-limit.ts';
export { settleOwedRebuild } from './rebuild.ts';
