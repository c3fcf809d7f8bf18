// `@pingback/core/build`: what the Astro and Eleventy integrations use, and nothing else. A build imports
// its config, and with it this entry, on every run, also one that never reads a pingback or sends one:
// importing the package's main entry (the receiver, the XML-RPC codec, the admin page, the importers)
// cost about 100 ms and 25 MiB there. What runs once per build after the pages (reading the store,
// writing the manifest, sending) is loaded when it runs, by the two functions below.
import type { FinishInput, FinishResult } from './finish.ts';
import type { OpenBlobs, OpenDatabase } from '../read/build-read.ts';
import type { ReadResult } from '../read/read-pingbacks.ts';
import type { ResolvedIntegrationOptions } from './options.ts';

export { PingbackOptionError } from '../errors.ts';
export { canonicalKey } from '../site/canonical.ts';
export type { PageInfo } from './post-match.ts';
export { isRoutePattern, matchesAny } from './post-match.ts';
export type { IntegrationOptions, ResolvedIntegrationOptions } from './options.ts';
export { resolveIntegrationOptions } from './options.ts';
export type { PageResult, PassSettings } from './page-pass.ts';
export { keptPage, pageInfo, passSettings, processPage } from './page-pass.ts';
export type { PageFacts } from './page-cache.ts';
export { PAGE_CACHE_FILE, PageCache } from './page-cache.ts';
export { summary } from './summary.ts';
export type { EmitStep, FinishInput, FinishResult } from './finish.ts';
export type { OpenBlobs, OpenDatabase } from '../read/build-read.ts';
export type { ReadResult } from '../read/read-pingbacks.ts';
export type { PublicPingback } from '../receive/read-endpoint.ts';
export type { Redirect } from '../site/redirects.ts';
export { openDatabaseStore } from '../store/store-location.ts';

/** Reads the site's pingbacks once for a build (see `readForBuild` of the main entry, which this loads). */
export async function readForBuild(
  options: ResolvedIntegrationOptions,
  root: string,
  env: NodeJS.ProcessEnv,
  openBlobs: OpenBlobs,
  openDatabase?: OpenDatabase,
): Promise<ReadResult> {
  const { readForBuild: read } = await import('../read/build-read.ts');
  return read(options, root, env, openBlobs, openDatabase);
}

/** Everything after the page pass (see `finishBuild` of the main entry, which this loads). */
export async function finishBuild(input: FinishInput): Promise<FinishResult> {
  const { finishBuild: finish } = await import('./finish.ts');
  return finish(input);
}
