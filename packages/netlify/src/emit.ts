import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { writeFileAtomic } from '@pingback/core';
import type { HeaderRule } from './header-rules.ts';
import { isOurRule, linkbackRules } from './header-rules.ts';
import type { FunctionSettings } from './settings.ts';
import { FUNCTION_NAME, SEND_FUNCTION_NAME, renderFunction, renderSendFunction } from './template.ts';

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
}

export interface EmitResult {
  functionFile: string;
  sendFunctionFile: string;
  configFile: string;
  headerRules: HeaderRule[];
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
  const v1 = join(options.projectRoot, '.netlify', 'v1');
  const functionsDir = join(v1, 'functions');
  const functionFile = join(functionsDir, `${FUNCTION_NAME}.mjs`);
  const manifestImport = importPath(functionsDir, options.manifestPath);
  await writeFileAtomic(functionFile, renderFunction(options.settings, manifestImport));
  const sendFunctionFile = join(functionsDir, `${SEND_FUNCTION_NAME}.mjs`);
  await writeFileAtomic(sendFunctionFile, renderSendFunction(options.settings, manifestImport));

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
  const headerRules = linkbackRules(options.headerPaths, {
    ...(options.endpoint ? { pingback: options.endpoint } : {}),
    ...(options.webmentionEndpoint ? { webmention: options.webmentionEndpoint } : {}),
  });
  config.headers = [...theirs, ...headerRules];
  await writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return { functionFile, sendFunctionFile, configFile, headerRules };
}
