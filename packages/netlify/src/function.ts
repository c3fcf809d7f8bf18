import type { Manifest, PingbackStore, PostgresModule, ReceiverOptions } from '@pingback/core';
import {
  PingbackOptionError,
  RATE_WINDOW_MS,
  Receiver,
  StoreError,
  StoreRateLimiter,
  StoreSignInLimiter,
  databaseUrlFromEnv,
  openDatabaseStore,
  parseManifest,
} from '@pingback/core';
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

// A Function's console is its host's log: Netlify keeps what it prints with the invocation.
// biome-ignore-start lint/suspicious/noConsole: the Function's one logger
const consoleLogger = {
  info: (m: string) => console.log(m),
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};
// biome-ignore-end lint/suspicious/noConsole: the Function's one logger

/**
 * The runtime of the generated Netlify Function: the core receiver over the site's Blobs store (or its
 * PostgreSQL database), with the rate limits kept in the store (each invocation may be a fresh process).
 * The receiver is built on the first request, when Netlify's environment (Blobs access) is in place, and
 * reused while the instance lives.
 */
const parse = (manifest: unknown): Manifest => parseManifest(manifest, 'the manifest bundled with the pingback function');

async function loadPostgres(): Promise<PostgresModule> {
  // Inside try on purpose: a bundler (Netlify's esbuild) then leaves a missing @pingback/postgres to fail
  // here at run time, if ever used, instead of failing every site's build that doesn't install it.
  try {
    return await import('@pingback/postgres');
  } catch (error) {
    // biome-ignore lint/complexity/noUselessCatch: the try is what the bundler needs to see (above).
    throw error;
  }
}

/** A store whose every call fails with `error`: the receiver answers fault 50 (503 when reading), and logs why. */
function failingStore(error: unknown): PingbackStore {
  const fail = async (): Promise<never> => {
    throw error instanceof StoreError ? error : new StoreError(`[@pingback/netlify] ${(error as Error).message}`, { cause: error });
  };
  return { insert: fail, get: fail, update: fail, list: fail, getMeta: fail, setMeta: fail, createMeta: fail };
}

async function openStore(settings: FunctionSettings): Promise<PingbackStore> {
  const url = databaseUrlFromEnv(process.env, settings.database === true);
  try {
    if (url) return await openDatabaseStore(url, 'PINGBACK_DATABASE_URL', loadPostgres);
    if (settings.database) {
      throw new StoreError(
        "[@pingback/netlify] the setting `database` is on, but neither PINGBACK_DATABASE_URL nor NETLIFY_DATABASE_URL is set in the site's environment",
      );
    }
  } catch (error) {
    consoleLogger.error(`[pingback] store: ${(error as Error).message}`);
    return failingStore(error);
  }
  return new BlobsStore(settings.storeName ? { name: settings.storeName } : {});
}

/**
 * Runs a deploy handler on the store given, or on one opened for it and closed after (a database's
 * connections must not outlive the invocation). No lock is taken: as over Blobs, the ledger keeps one
 * document per pair, and a frozen or killed serverless instance must never be able to hold one.
 */
async function withStore<T>(settings: FunctionSettings, given: PingbackStore | undefined, fn: (store: PingbackStore) => Promise<T>): Promise<T> {
  if (given) return fn(given);
  const store = await openStore(settings);
  try {
    return await fn(store);
  } finally {
    await store.close?.();
  }
}

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
      return withStore(settings, overrides.store, (store) => onBackgroundSend(request, context.deploy?.id, parse(manifest), store, settings, consoleLogger));
    },
  };
}
