// The runtime of every emitted Function. Netlify ships a Functions-v2 `.mjs` entry unbundled (its
// bundler traces the files and keeps them as they are), so each module imported here at the top is read
// and evaluated on every cold start: only what answering a request needs is, from core's narrow
// `receive` entry. Sending after a deploy is loaded by the handlers that send.
import type { Manifest, PingbackStore, ReceiverOptions } from '@pingback/core/receive';
import {
  PingbackOptionError,
  RATE_WINDOW_MS,
  RECEIVER_DEFAULTS,
  Receiver,
  StoreRateLimiter,
  StoreSignInLimiter,
  parseManifest,
  settleOwedRebuild,
} from '@pingback/core/receive';
import type { DeployEvent } from './deploy-send.ts';
import { consoleLogger, openStore, withStore } from './function-store.ts';
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

/**
 * The runtime of the generated Netlify Function: the core receiver over the site's Blobs store (or its
 * PostgreSQL database), with the rate limits kept in the store (each invocation may be a fresh process).
 * The receiver is built on the first request, when Netlify's environment (Blobs access) is in place, and
 * reused while the instance lives.
 */
const parse = (manifest: unknown): Manifest => parseManifest(manifest, 'the manifest bundled with the pingback function');

/**
 * The receiver, or, when the moderation page's token or the webhook's settings are wrong, the receiver
 * without that part, said loudly in the log: a bad secret must not stop pingbacks being answered.
 */
function openReceiver(options: ReceiverOptions): Receiver {
  const current: ReceiverOptions = { ...options };
  for (;;) {
    try {
      return new Receiver(current);
    } catch (error) {
      const part = error instanceof PingbackOptionError ? (/^(admin|notify)\b/.exec(error.option)?.[1] as 'admin' | 'notify' | undefined) : undefined;
      if (!part || current[part] === undefined) throw error;
      consoleLogger.error(`[pingback] ${part === 'admin' ? 'moderation page' : 'arrival webhook'} off: ${(error as Error).message}`);
      delete current[part];
    }
  }
}

export function createPingbackFunction(settings: FunctionSettings, manifest: unknown, overrides: Partial<ReceiverOptions> = {}): PingbackFunction {
  let receiver: Promise<Receiver> | undefined;
  const build = async (): Promise<Receiver> => {
    const m = parse(manifest);
    const {
      storeName: _name,
      database: _database,
      rateLimit,
      hosts,
      send: _send,
      notifyEdits: _edits,
      protocols: _protocols,
      sendBudgetMs: _budget,
      adminPath,
      adminTokenEnv,
      notifyFormat,
      ...rest
    } = settings;
    const store = overrides.store ?? (await openStore(settings));
    const options: ReceiverOptions = {
      ...rest,
      hosts: [...new Set([...(hosts ?? []), ...m.hosts])],
      store,
      pages: m.pages,
      aliases: m.aliases ?? {},
      // A database counts its windows exactly, in one call; elsewhere meta documents hold them.
      rateLimiter: store.rateLimiter?.(rateLimit ?? 10, RATE_WINDOW_MS) ?? new StoreRateLimiter(store, rateLimit ?? 10),
      logger: consoleLogger,
      ...overrides,
    };
    const hook = process.env.PINGBACK_BUILD_HOOK_URL;
    if (hook && options.rebuildHookUrl === undefined) options.rebuildHookUrl = hook;
    // Secrets come from the environment only, never from the generated file.
    const token = process.env[adminTokenEnv ?? 'PINGBACK_ADMIN_TOKEN'];
    if (token && options.admin === undefined) {
      // Each request may be a fresh instance: failed sign-ins are counted in the store.
      options.admin = { token, signInLimiter: new StoreSignInLimiter(store), ...(adminPath ? { path: adminPath } : {}) };
    }
    const notifyUrl = process.env.PINGBACK_NOTIFY_URL;
    if (notifyUrl && options.notify === undefined) {
      const format = notifyFormat ?? (process.env.PINGBACK_NOTIFY_FORMAT as typeof notifyFormat);
      options.notify = {
        url: notifyUrl,
        ...(process.env.PINGBACK_NOTIFY_SECRET ? { secret: process.env.PINGBACK_NOTIFY_SECRET } : {}),
        ...(format ? { format } : {}),
        ...(process.env.PINGBACK_NOTIFY_ALLOW_PRIVATE_NETWORK === 'true' ? { allowPrivateNetwork: true } : {}),
      };
    }
    // For local emulation only (@netlify/dev with sources on loopback): never set it on Netlify.
    if (process.env.PINGBACK_ALLOW_PRIVATE_NETWORK === 'true' && options.allowPrivateNetwork === undefined) options.allowPrivateNetwork = true;
    return openReceiver(options);
  };
  return {
    async fetch(request, context = {}) {
      // A failed build (a bad manifest) is tried again on the next request, as before it was asynchronous.
      receiver ??= build().catch((error: unknown) => {
        receiver = undefined;
        throw error;
      });
      const ready = await receiver;
      const ctx: { clientAddress?: string; waitUntil?: (p: Promise<unknown>) => void } = {};
      if (context.ip) ctx.clientAddress = context.ip;
      if (context.waitUntil) ctx.waitUntil = context.waitUntil.bind(context);
      return ready.handle(request, ctx);
    },
    async deploySucceeded(event) {
      try {
        const { onDeploySucceeded } = await import('./deploy-send.ts');
        await withStore(settings, overrides.store, (store) => onDeploySucceeded(event, parse(manifest), store, settings, consoleLogger));
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
      const { onBackgroundSend } = await import('./deploy-send.ts');
      return withStore(settings, overrides.store, (store) => onBackgroundSend(request, context.deploy?.id, parse(manifest), store, settings, consoleLogger));
    },
  };
}

export interface RebuildFunction {
  fetch(request?: Request): Promise<Response>;
}

/**
 * The scheduled function that asks for the rebuild a linkback is owed: one approved after its interval's
 * rebuild was asked for (that build may already have read the store), or whose build hook failed. A
 * Function has no timer of its own between requests, so Netlify's scheduler stands in for
 * `pingback serve`'s minute timer. It opens the store, reads a mark or two, and only then, if a rebuild is
 * due, loads the HTTP client to call the hook.
 */
export function createRebuildFunction(settings: FunctionSettings, overrides: { store?: PingbackStore } = {}): RebuildFunction {
  return {
    async fetch() {
      const hook = process.env.PINGBACK_BUILD_HOOK_URL;
      if (!hook) {
        consoleLogger.warn('[pingback] owed rebuild: PINGBACK_BUILD_HOOK_URL is not set in the site environment (scope Functions); nothing to ask');
        return new Response('no build hook\n', { status: 200 });
      }
      const interval = settings.rebuildIntervalMs ?? RECEIVER_DEFAULTS.rebuildIntervalMs;
      if (!Number.isInteger(interval) || interval <= 0) {
        consoleLogger.error(`[pingback] owed rebuild: the setting rebuildIntervalMs must be a positive whole number of milliseconds, not ${interval}`);
        return new Response('bad rebuildIntervalMs\n', { status: 500 });
      }
      try {
        const result = await withStore(settings, overrides.store, (store) => settleOwedRebuild(store, hook, interval, Date.now()));
        if (result) consoleLogger.info(`[pingback] owed rebuild: ${result.message}`);
        return new Response(`${result?.message ?? 'nothing owed'}\n`, { status: 200 });
      } catch (error) {
        // Nothing is lost: the owed mark stays, and the next run asks again.
        consoleLogger.error(`[pingback] owed rebuild failed: ${(error as Error).message}`);
        return new Response('owed rebuild failed; tried again on the next run\n', { status: 500 });
      }
    },
  };
}
