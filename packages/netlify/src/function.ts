import type { Manifest, PingbackStore, ReceiverOptions } from '@pingback/core';
import { Receiver, StoreRateLimiter, parseManifest } from '@pingback/core';
import { BlobsStore } from './blobs-store.ts';
import type { DeployEvent } from './deploy-send.ts';
import { onBackgroundSend, onDeploySucceeded } from './deploy-send.ts';
import type { FunctionSettings } from './settings.ts';

/** The parts of Netlify's Function context we use (see @netlify/functions' `Context`). */
export interface NetlifyContext {
  ip?: string;
  waitUntil?: (promise: Promise<unknown>) => void;
  deploy?: { id?: string };
}

export interface PingbackFunction {
  fetch(request: Request, context?: NetlifyContext): Promise<Response>;
  deploySucceeded(event: DeployEvent): Promise<void>;
}

export interface SendFunction {
  fetch(request: Request, context?: NetlifyContext): Promise<Response>;
}

const consoleLogger = {
  info: (m: string) => console.log(m),
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};

/**
 * The runtime of the generated Netlify Function: the core receiver over the site's Blobs store, with the
 * rate limits kept in the store (each invocation may be a fresh process). The receiver is built on the
 * first request, when Netlify's environment (Blobs access) is in place, and reused while the instance lives.
 */
const parse = (manifest: unknown): Manifest => parseManifest(manifest, 'the manifest bundled with the pingback function');
const openStore = (settings: FunctionSettings): PingbackStore => new BlobsStore(settings.storeName ? { name: settings.storeName } : {});

export function createPingbackFunction(settings: FunctionSettings, manifest: unknown, overrides: Partial<ReceiverOptions> = {}): PingbackFunction {
  let receiver: Receiver | undefined;
  const build = (): Receiver => {
    const m = parse(manifest);
    const { storeName: _name, rateLimit, hosts, send: _send, notifyEdits: _edits, sendBudgetMs: _budget, ...rest } = settings;
    const store = overrides.store ?? openStore(settings);
    const options: ReceiverOptions = {
      ...rest,
      hosts: [...new Set([...(hosts ?? []), ...m.hosts])],
      store,
      pages: m.pages,
      aliases: m.aliases ?? {},
      rateLimiter: new StoreRateLimiter(store, rateLimit ?? 10),
      logger: consoleLogger,
      ...overrides,
    };
    const hook = process.env.PINGBACK_BUILD_HOOK_URL;
    if (hook && options.rebuildHookUrl === undefined) options.rebuildHookUrl = hook;
    // For local emulation only (@netlify/dev with sources on loopback): never set it on Netlify.
    if (process.env.PINGBACK_ALLOW_PRIVATE_NETWORK === 'true' && options.allowPrivateNetwork === undefined) options.allowPrivateNetwork = true;
    return new Receiver(options);
  };
  return {
    async fetch(request, context = {}) {
      receiver ??= build();
      const ctx: { clientAddress?: string; waitUntil?: (p: Promise<unknown>) => void } = {};
      if (context.ip) ctx.clientAddress = context.ip;
      if (context.waitUntil) ctx.waitUntil = context.waitUntil.bind(context);
      return receiver.handle(request, ctx);
    },
    async deploySucceeded(event) {
      try {
        await onDeploySucceeded(event, parse(manifest), overrides.store ?? openStore(settings), settings, consoleLogger);
      } catch (error) {
        // Nothing is lost: the ledger says what was sent, and the next deploy sends the rest.
        consoleLogger.error(`[pingback] sending after deploy failed: ${(error as Error).message}`);
      }
    },
  };
}

/** The background function the deploy-succeeded handler hands a large outbox to. */
export function createSendFunction(settings: FunctionSettings, manifest: unknown, overrides: { store?: PingbackStore } = {}): SendFunction {
  return {
    async fetch(request, context = {}) {
      if (request.method !== 'POST') return new Response('POST only\n', { status: 405, headers: { allow: 'POST' } });
      return onBackgroundSend(request, context.deploy?.id, parse(manifest), overrides.store ?? openStore(settings), settings, consoleLogger);
    },
  };
}
