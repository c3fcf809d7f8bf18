import { readFile, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Manifest } from '@pingback/core';
import { PUBLISHED_MANIFEST_PATH, PingbackOptionError, TOMBSTONE_PATH, replaceFile } from '@pingback/core';
import type { HeaderRule, RedirectRule } from './header-rules.ts';
import { goneRules, isOurRedirect, isOurRule, linkbackRules } from './header-rules.ts';
import type { FunctionSettings } from './settings.ts';
import { FUNCTION_NAME, REBUILD_FUNCTION_NAME, SEND_FUNCTION_NAME, renderFunction, renderRebuildFunction, renderSendFunction } from './template.ts';

export interface EmitOptions {
  /** The Netlify base (or package) directory of the site: `.netlify/v1/` goes here. */
  projectRoot: string;
  settings: FunctionSettings;
  /** Absolute path of the manifest the build wrote; the Function imports it. */
  manifestPath: string;
  /** Netlify paths that get the headers (see `headerPaths`). */
  headerPaths: readonly string[];
  /** The absolute XML-RPC endpoint X-Pingback announces; null: not announced. */
  endpoint: string | null;
  /** The absolute Webmention endpoint the Link header announces; absent or null: not announced. */
  webmentionEndpoint?: string | null;
  /**
   * Netlify paths that get the Link header, when they are not all of `headerPaths`: the site has pages that
   * take pingbacks only (`advertise: { webmention: false }` in their front matter). Default: `headerPaths`.
   */
  webmentionHeaderPaths?: readonly string[];
  /** The build's manifest: its gone posts get a 410 rule, and it is published for the next build. */
  manifest?: Manifest;
  /** The build's output folder, where the published manifest and the tombstone page are written. */
  outDir?: string;
  /**
   * Emit the scheduled function that asks for owed rebuilds (`pingback-rebuild`). Default: when the build
   * hook is in the build's environment, that is when `rebuildFunctionWanted(process.env)` says so.
   */
  rebuildFunction?: boolean;
}

export interface EmitResult {
  functionFile: string;
  sendFunctionFile: string;
  /** The scheduled rebuild function's file, when it was emitted. */
  rebuildFunctionFile: string | null;
  configFile: string;
  headerRules: HeaderRule[];
  redirectRules: RedirectRule[];
}

/** What a gone post shows (§3.1.5's tombstone): an h-entry whose content is "Deleted", never indexed. */
export const TOMBSTONE_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Deleted</title></head>
<body><article class="h-entry"><p class="p-name e-content">Deleted</p></article></body>
</html>
`;

/**
 * Whether to emit the scheduled rebuild function: `PINGBACK_REBUILD_FUNCTION` set to `true` or `false`
 * decides; otherwise it is emitted when `PINGBACK_BUILD_HOOK_URL` is set in the build's environment (a
 * site whose hook is scoped to Functions only sets `PINGBACK_REBUILD_FUNCTION=true`). Without a hook the
 * receiver never asks for a rebuild, so nothing is ever owed and a timer would only spend invocations.
 */
export function rebuildFunctionWanted(env: NodeJS.ProcessEnv): boolean {
  const forced = env.PINGBACK_REBUILD_FUNCTION?.trim().toLowerCase();
  if (forced === 'true') return true;
  if (forced === 'false') return false;
  if (forced) {
    throw new PingbackOptionError(
      'PINGBACK_REBUILD_FUNCTION',
      `is ${JSON.stringify(env.PINGBACK_REBUILD_FUNCTION)}`,
      'Set it to true or false, or leave it unset.',
    );
  }
  return Boolean(env.PINGBACK_BUILD_HOOK_URL?.trim());
}

function importPath(from: string, to: string): string {
  const path = relative(from, to).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

/**
 * Ships the receiver through Netlify's Frameworks API: writes the Function into
 * `.netlify/v1/functions/` and merges our header rules (X-Pingback, and a Link header for Webmention)
 * into `.netlify/v1/config.json`,
 * keeping whatever else is there (the Astro adapter writes that file too) and replacing only our own
 * rules from an earlier build.
 */
export async function emitNetlifyFunction(options: EmitOptions): Promise<EmitResult> {
  // Build outputs, read by the deploy that follows and written again by the next build: replaced, never flushed.
  const v1 = join(options.projectRoot, '.netlify', 'v1');
  const functionsDir = join(v1, 'functions');
  const functionFile = join(functionsDir, `${FUNCTION_NAME}.mjs`);
  const manifestImport = importPath(functionsDir, options.manifestPath);
  await replaceFile(functionFile, renderFunction(options.settings, manifestImport));
  const sendFunctionFile = join(functionsDir, `${SEND_FUNCTION_NAME}.mjs`);
  await replaceFile(sendFunctionFile, renderSendFunction(options.settings, manifestImport));
  const rebuildFile = join(functionsDir, `${REBUILD_FUNCTION_NAME}.mjs`);
  const rebuildFunctionFile = (options.rebuildFunction ?? rebuildFunctionWanted(process.env)) ? rebuildFile : null;
  // One left by an earlier build with a hook would keep running after the hook was removed.
  if (rebuildFunctionFile) await replaceFile(rebuildFunctionFile, renderRebuildFunction(options.settings));
  else await rm(rebuildFile, { force: true });

  const configFile = join(v1, 'config.json');
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`[@pingback/netlify] [emit] ${configFile} is not valid JSON; it was left untouched`, { cause: error });
    }
  }
  const theirs = Array.isArray(config.headers) ? config.headers.filter((rule) => !isOurRule(rule)) : [];
  const endpoints = {
    ...(options.endpoint ? { pingback: options.endpoint } : {}),
    ...(options.webmentionEndpoint ? { webmention: options.webmentionEndpoint } : {}),
  };
  const headerRules = linkbackRules(options.headerPaths, endpoints, options.webmentionHeaderPaths);
  config.headers = [...theirs, ...headerRules];
  const gone = options.manifest?.gone ?? [];
  const redirectRules = goneRules(
    gone.map((g) => g.key),
    TOMBSTONE_PATH,
  );
  const theirRedirects = Array.isArray(config.redirects) ? config.redirects.filter((rule) => !isOurRedirect(rule, TOMBSTONE_PATH)) : [];
  // Ours first: Netlify takes the first matching rule, and a gone post's path must answer 410.
  if (redirectRules.length > 0 || theirRedirects.length > 0 || Array.isArray(config.redirects)) config.redirects = [...redirectRules, ...theirRedirects];
  await replaceFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  if (options.outDir && options.manifest) {
    // The next build starts from a fresh clone: it learns what this deploy had from the deploy itself.
    await replaceFile(join(options.outDir, ...PUBLISHED_MANIFEST_PATH.split('/').filter(Boolean)), `${JSON.stringify(options.manifest, null, 2)}\n`);
    if (gone.length > 0) await replaceFile(join(options.outDir, ...TOMBSTONE_PATH.split('/').filter(Boolean)), TOMBSTONE_HTML);
  }
  return { functionFile, sendFunctionFile, rebuildFunctionFile, configFile, headerRules, redirectRules };
}
