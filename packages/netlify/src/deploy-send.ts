import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger, Manifest, OutboxReport, PingbackStore } from '@pingback/core';
import { StoreLedger, sendOutbox, summary } from '@pingback/core';
import type { FunctionSettings } from './settings.ts';

/** The parts of Netlify's deploy event we use (see @netlify/types' `DeployEvent`). */
export interface DeployEvent {
  deploy?: { id?: string; context?: string; publishedAt?: string | null; url?: string; sslUrl?: string; permalinkUrl?: string };
  site?: { url?: string };
}

export const DEPLOY_BUDGET_MS = 20_000;
/** A background function runs for up to 15 minutes; leave room to hand off again. */
export const BACKGROUND_BUDGET_MS = 13 * 60_000;
export const BACKGROUND_FUNCTION = 'pingback-send-background';
const TOKEN_TTL_MS = 60 * 60_000;

const tokenName = (deployId: string) =>
  `send-token-${deployId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 64)}`;

/** What a hand-off needs: where this very deploy answers, and a token only it knows. */
async function handOff(store: PingbackStore, deploy: NonNullable<DeployEvent['deploy']>, fetchImpl: typeof fetch, log: Logger): Promise<void> {
  const base = deploy.permalinkUrl || deploy.sslUrl || deploy.url;
  if (!base || !deploy.id) {
    log.warn('[pingback] pairs are left to send, but the deploy event has no URL to reach the background function; the next deploy sends them');
    return;
  }
  const token = randomBytes(24).toString('base64url');
  await store.setMeta(tokenName(deploy.id), { token, createdAt: Date.now() });
  const response = await fetchImpl(new URL(`/.netlify/functions/${BACKGROUND_FUNCTION}`, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deployId: deploy.id, token }),
  });
  log.info(`[pingback] handed the rest to the background function (HTTP ${response.status})`);
}

async function run(manifest: Manifest, store: PingbackStore, settings: FunctionSettings, budgetMs: number, log: Logger): Promise<OutboxReport> {
  // A site on loopback or a private name sends nothing (a Netlify site never is one); local emulation
  // opts in the same way the receiver does.
  const allowPrivateNetwork = process.env.PINGBACK_ALLOW_PRIVATE_NETWORK === 'true';
  // Gone posts (the manifest's `gone`) are sent here too: each target that had a Webmention hears once,
  // when the post answers 410 Gone by the rule this deploy's configuration carries.
  const report = await sendOutbox(manifest, {
    ledger: new StoreLedger(store),
    site: manifest.site,
    budgetMs,
    notifyEdits: settings.notifyEdits ?? false,
    allowPrivateNetwork,
    ...(settings.protocols ? { protocols: settings.protocols } : {}),
  });
  log.info(`[pingback] ${summary.sent(report, 'after deploy')}`);
  if (report.notPublic === undefined) log.info(`[pingback] ${summary.directories(report)}`);
  return report;
}

/**
 * The deploy-succeeded handler: for a published production deploy only (previews and branch deploys
 * never ping anyone), send this deploy's outbox against the ledger in the site's store. What the event's
 * time limit doesn't allow goes to the background function, started with a one-use token stored for
 * this deploy, at this deploy's own URL.
 */
export async function onDeploySucceeded(
  event: DeployEvent,
  manifest: Manifest,
  store: PingbackStore,
  settings: FunctionSettings,
  log: Logger,
  fetchImpl: typeof fetch = fetch,
): Promise<OutboxReport | null> {
  const deploy = event?.deploy;
  const mode = settings.send ?? 'after-deploy';
  if (mode !== 'after-deploy') {
    log.info(`[pingback] send mode is "${mode}": the deploy-succeeded handler sends nothing`);
    return null;
  }
  if (deploy?.context !== 'production' || !deploy.publishedAt) {
    log.info(
      `[pingback] deploy ${deploy?.id ?? '?'} (${deploy?.context ?? 'unknown context'}${deploy?.publishedAt ? '' : ', not published'}) is not a published production deploy: nothing sent`,
    );
    return null;
  }
  const report = await run(manifest, store, settings, settings.sendBudgetMs ?? DEPLOY_BUDGET_MS, log);
  if (report.untried > 0) await handOff(store, deploy, fetchImpl, log);
  return report;
}

/**
 * The background function's request: checks the one-use token this deploy's handler stored, then sends
 * with the background budget, handing off again if even that is not enough.
 */
export async function onBackgroundSend(
  request: Request,
  deployId: string | undefined,
  manifest: Manifest,
  store: PingbackStore,
  settings: FunctionSettings,
  log: Logger,
  fetchImpl: typeof fetch = fetch,
): Promise<Response> {
  let body: { deployId?: unknown; token?: unknown };
  try {
    body = (await request.json()) as typeof body;
  } catch {
    return new Response('bad request\n', { status: 400 });
  }
  const id = typeof body.deployId === 'string' ? body.deployId : '';
  const given = typeof body.token === 'string' ? body.token : '';
  const stored = id ? await store.getMeta<{ token?: string; createdAt?: number }>(tokenName(id)) : null;
  const valid =
    id !== '' &&
    (deployId === undefined || deployId === id) &&
    typeof stored?.token === 'string' &&
    stored.token.length === given.length &&
    timingSafeEqual(Buffer.from(stored.token), Buffer.from(given)) &&
    Date.now() - (stored.createdAt ?? 0) < TOKEN_TTL_MS;
  if (!valid) return new Response('forbidden\n', { status: 403 });
  await store.setMeta(tokenName(id), { used: true });
  const report = await run(manifest, store, settings, BACKGROUND_BUDGET_MS, log);
  // The request came to this deploy's own URL: hand off to the same place again.
  if (report.untried > 0) await handOff(store, { id, permalinkUrl: new URL(request.url).origin }, fetchImpl, log);
  return new Response(`sent: ${JSON.stringify(report.counts)}\n`, { status: 200 });
}
