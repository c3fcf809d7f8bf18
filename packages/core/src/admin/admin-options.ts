import { PingbackOptionError } from '../errors.ts';
import { ipLiteral } from '../net/ip-address.ts';
import { checkKnownKeys, checkPositiveInt } from '../option-checks.ts';
import type { SessionKeys } from './session.ts';
import { sessionKeys } from './session.ts';
import type { SignInLimiter } from './sign-in-limit.ts';
import { MemorySignInLimiter } from './sign-in-limit.ts';

/** The moderation page. Off unless a token is given (`PINGBACK_ADMIN_TOKEN` in the shells). */
export interface AdminOptions {
  /** The secret that signs in: at least 24 characters, e.g. from `openssl rand -base64 32`. */
  token: string;
  /** Where the page lives. Default `/pingback/admin`; never linked from the site. */
  path?: string;
  /** How long a sign-in lasts. Default 12 hours. */
  sessionTtlMs?: number;
  /** Counts failed sign-ins per client; Netlify keeps them in the store. Default in memory. */
  signInLimiter?: SignInLimiter;
}

export interface AdminSettings {
  path: string;
  keys: SessionKeys;
  sessionTtlMs: number;
  /** False only for a site on plain HTTP on a loopback address (local use): the cookie then can't be `Secure`. */
  secureCookie: boolean;
  cookieName: string;
  cookiePath: string;
  signInLimiter: SignInLimiter;
}

export const ADMIN_DEFAULTS = { path: '/pingback/admin', sessionTtlMs: 12 * 60 * 60_000, minTokenLength: 24 } as const;

const KNOWN = ['token', 'path', 'sessionTtlMs', 'signInLimiter'] as const;

function isLoopbackHost(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const literal = ipLiteral(url.hostname);
  return literal !== null && (literal === '::1' || /^127\./.test(literal));
}

/** Validates the moderation page's options against the site it serves. */
export function resolveAdminOptions(options: AdminOptions, site: URL, taken: readonly string[]): AdminSettings {
  checkKnownKeys('admin', options, KNOWN);
  const { token } = options;
  if (typeof token !== 'string' || token.length < ADMIN_DEFAULTS.minTokenLength) {
    throw new PingbackOptionError(
      'admin.token',
      `must be a secret of at least ${ADMIN_DEFAULTS.minTokenLength} characters${typeof token === 'string' ? `, got ${token.length}` : ''}`,
      'Make one with `openssl rand -base64 32` and set it as PINGBACK_ADMIN_TOKEN.',
    );
  }
  const path = options.path ?? ADMIN_DEFAULTS.path;
  if (typeof path !== 'string' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(path) || path.split('/').some((s) => s === '.' || s === '..')) {
    throw new PingbackOptionError(
      'admin.path',
      `must be a path of plain segments such as "/pingback/admin", got ${JSON.stringify(path)}`,
      'Use letters, digits, "-", "_", "." and "~" between slashes, with no trailing slash.',
    );
  }
  for (const other of taken) {
    if (other === path || other.startsWith(`${path}/`))
      throw new PingbackOptionError('admin.path', `overlaps the receiver's ${other}`, 'Give the moderation page a path of its own.');
  }
  const local = site.protocol === 'http:' && isLoopbackHost(site);
  if (site.protocol !== 'https:' && !local) {
    throw new PingbackOptionError(
      'admin.token',
      `turns on the moderation page, which needs an https site (got ${site.origin}) so its cookie can be Secure`,
      'Serve the site over https, or over http on a loopback address for local use only.',
    );
  }
  return {
    path,
    keys: sessionKeys(token),
    sessionTtlMs: checkPositiveInt('admin.sessionTtlMs', options.sessionTtlMs ?? ADMIN_DEFAULTS.sessionTtlMs),
    secureCookie: !local,
    // `__Host-` makes the browser refuse the cookie unless it is Secure, for this host only, with Path=/.
    cookieName: local ? 'pingback-admin' : '__Host-pingback-admin',
    cookiePath: local ? path : '/',
    signInLimiter: options.signInLimiter ?? new MemorySignInLimiter(),
  };
}
