import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The moderation page's sessions: nothing stored, a cookie signed with a key derived from the admin
 * token. Changing the token ends every session at once; a session can't outlive its expiry, which is
 * inside the signed part. Each session has a random nonce, and the form token that guards its POSTs
 * is derived from it, so a token from one session is worth nothing in another.
 */
export interface SessionKeys {
  /** Signs session cookies and form tokens. */
  key: Buffer;
  /** The admin token's digest, for comparing a candidate in constant time whatever its length. */
  tokenDigest: Buffer;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/**
 * Compares a signature as sent with the one expected, as text: base64url has more than one spelling of
 * the same bytes (the last character's low bits), and only our own spelling is accepted.
 */
function sameSignature(sent: string, expected: Buffer): boolean {
  const ours = Buffer.from(expected.toString('base64url'));
  const theirs = Buffer.from(sent);
  return theirs.length === ours.length && timingSafeEqual(theirs, ours);
}

export function sessionKeys(token: string): SessionKeys {
  return { key: mac(Buffer.from(token, 'utf8'), 'pingback admin session v1'), tokenDigest: digest(token) };
}

/** Whether a candidate is the admin token: both sides hashed to 32 bytes, compared with `timingSafeEqual`. */
export function isAdminToken(keys: SessionKeys, candidate: string): boolean {
  return timingSafeEqual(digest(candidate), keys.tokenDigest);
}

export interface Session {
  nonce: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** A new session's cookie value: `<expiry in seconds>.<nonce>.<signature>`, all base64url or digits. */
export function createSessionCookie(keys: SessionKeys, now: number, ttlMs: number): { value: string; session: Session } {
  const expires = Math.floor((now + ttlMs) / 1000);
  const nonce = randomBytes(16).toString('base64url');
  const payload = `${expires}.${nonce}`;
  return { value: `${payload}.${mac(keys.key, `session.${payload}`).toString('base64url')}`, session: { nonce, expiresAt: expires * 1000 } };
}

const COOKIE_VALUE = /^(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * The session a cookie value holds, or null: unsigned, tampered with, expired, or set to expire further
 * ahead than any session we give out (a key leak is not made worse by a forged long life).
 */
export function readSessionCookie(keys: SessionKeys, value: string | undefined, now: number, ttlMs: number): Session | null {
  const m = value ? COOKIE_VALUE.exec(value) : null;
  if (!m) return null;
  const expected = mac(keys.key, `session.${m[1]}.${m[2]}`);
  if (!sameSignature(m[3]!, expected)) return null;
  const expiresAt = Number(m[1]) * 1000;
  if (expiresAt <= now || expiresAt > now + ttlMs + 60_000) return null;
  return { nonce: m[2]!, expiresAt };
}

/** The form token of a session: every POST form of the page carries it. */
export function formToken(keys: SessionKeys, session: Session): string {
  return mac(keys.key, `form.${session.nonce}`).toString('base64url');
}

export function isFormToken(keys: SessionKeys, session: Session, candidate: string | null): boolean {
  if (typeof candidate !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(candidate)) return false;
  return sameSignature(candidate, mac(keys.key, `form.${session.nonce}`));
}

/** One cookie's value from a Cookie header, or undefined. Linear in the header's length. */
export function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
