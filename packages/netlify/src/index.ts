export type { BlobsStoreOptions } from './blobs-store.ts';
export { BlobsStore, DEFAULT_BLOBS_STORE, blobsStore } from './blobs-store.ts';
export type { EmitOptions, EmitResult } from './emit.ts';
export { emitNetlifyFunction, rebuildFunctionWanted } from './emit.ts';
export type { NetlifyContext, PingbackFunction, RebuildFunction, SendFunction } from './function.ts';
export { createPingbackFunction, createRebuildFunction, createSendFunction } from './function.ts';
export type { DeployEvent } from './deploy-send.ts';
export { BACKGROUND_BUDGET_MS, BACKGROUND_FUNCTION, DEPLOY_BUDGET_MS, onBackgroundSend, onDeploySucceeded } from './deploy-send.ts';
export type { HeaderRule } from './header-rules.ts';
export { headerPaths, isOurRule, linkbackRules, webmentionLinkHeader, xPingbackRules } from './header-rules.ts';
export type { FunctionSettings } from './settings.ts';
export { normalizeSettings } from './settings.ts';
export {
  FUNCTION_NAME,
  GENERATOR,
  REBUILD_FUNCTION_NAME,
  SEND_FUNCTION_NAME,
  backstopLimit,
  rebuildSchedule,
  renderFunction,
  renderRebuildFunction,
  renderSendFunction,
} from './template.ts';
export { VERSION } from './version.ts';
export { emitForBuild, functionSettings, openBlobsForBuild } from './emit-for-build.ts';
