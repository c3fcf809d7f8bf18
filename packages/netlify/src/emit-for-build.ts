import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Manifest, PageResult, PingbackStore, ResolvedIntegrationOptions } from '@pingback/core';
import { BlobsStore } from './blobs-store.ts';
import { emitNetlifyFunction } from './emit.ts';
import { headerPaths } from './header-rules.ts';
import type { FunctionSettings } from './settings.ts';

const OWN_FUNCTION = ['mts', 'mjs', 'ts', 'js', 'cjs'].map((ext) => join('netlify', 'functions', `pingback.${ext}`));

/** The Function's settings from an integration's resolved options. */
export function functionSettings(options: ResolvedIntegrationOptions): FunctionSettings {
  return {
    site: options.site.href,
    hosts: options.hosts,
    endpointPath: options.endpointPath,
    webmentionPath: options.webmentionPath,
    readPath: options.readPath,
    moderation: options.moderation,
    blocklist: options.blocklist,
    ...(options.allowlist.length ? { allowlist: options.allowlist } : {}),
    ...(options.adminPath !== '/pingback/admin' ? { adminPath: options.adminPath } : {}),
    rateLimit: options.rateLimit,
    send: options.send,
    notifyEdits: options.notifyEdits,
    // Only when on, so that the Functions of sites without a database stay as they were, byte for byte.
    ...(options.database ? { database: true } : {}),
    ...(options.protocols ? { protocols: options.protocols } : {}),
  };
}

/**
 * The integrations' Netlify step: emit the Function and the header rules (X-Pingback, Link), unless the project keeps
 * its own `netlify/functions/pingback.*` (then Netlify deploys that one, and two would clash).
 */
export function emitForBuild(options: ResolvedIntegrationOptions, projectRoot: string) {
  return async (manifest: Manifest, manifestPath: string, pages: readonly PageResult[], outDir?: string): Promise<string> => {
    const own = OWN_FUNCTION.find((p) => existsSync(join(projectRoot, p)));
    if (own) return `Netlify Function not emitted: the project has its own ${own}`;
    const advertised = pages.filter((p) => p.advertised).map((p) => p.key);
    const built = pages.map((p) => p.key);
    const paths = headerPaths(advertised, built);
    const { pingback, webmention } = options.advertiseProtocols;
    // Pages that take pingbacks only are left out of the Link header's paths.
    const pingbackOnly = pages.filter((p) => p.advertised && p.pingbackOnly).length;
    const webmentionPaths =
      pingbackOnly > 0
        ? headerPaths(
            pages.filter((p) => p.advertised && !p.pingbackOnly).map((p) => p.key),
            built,
          )
        : paths;
    const { functionFile, rebuildFunctionFile, headerRules, redirectRules } = await emitNetlifyFunction({
      projectRoot,
      settings: functionSettings(options),
      manifestPath,
      headerPaths: paths,
      endpoint: pingback ? options.endpoint : null,
      webmentionEndpoint: webmention ? options.webmentionEndpoint : null,
      ...(pingbackOnly > 0 ? { webmentionHeaderPaths: webmentionPaths } : {}),
      manifest,
      ...(outDir ? { outDir } : {}),
    });
    const headers = [pingback ? 'X-Pingback' : '', webmention ? 'Link: rel="webmention"' : ''].filter(Boolean).join(' and ') || 'no headers';
    const gone = redirectRules.length > 0 ? `; 410 Gone on ${redirectRules.length} removed ${redirectRules.length === 1 ? 'post' : 'posts'}` : '';
    const only =
      pingbackOnly > 0 && webmention ? ` (no Link on ${pingbackOnly === 1 ? '1 page that takes' : `${pingbackOnly} pages that take`} pingbacks only)` : '';
    const rebuild = rebuildFunctionFile ? `; owed rebuilds asked for by ${relative(projectRoot, rebuildFunctionFile)} (scheduled)` : '';
    return `Netlify Function emitted to ${relative(projectRoot, functionFile)}${rebuild}; ${headers} on ${headerRules.length} header ${headerRules.length === 1 ? 'rule' : 'rules'}${only}${gone}`;
  };
}

/** Opens a site's Blobs store for build-time reads (the integrations' `OpenBlobs`). */
export async function openBlobsForBuild(siteID: string, token: string): Promise<PingbackStore> {
  return new BlobsStore({ siteID, token });
}
