import { createHmac, randomBytes } from 'node:crypto';
import { PingbackOptionError } from '../errors.ts';

/** Standard Webhooks' symmetric secret: `whsec_` and the base64 of 24 to 64 random bytes. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
const MIN_BYTES = 24;
const MAX_BYTES = 64;

const HOW = `Make one with: node -e "console.log('whsec_' + require('node:crypto').randomBytes(32).toString('base64'))"`;

/** The HMAC key a `whsec_…` secret serializes, or a `PingbackOptionError` naming the option. */
export function parseWebhookSecret(option: string, text: unknown): Buffer {
  if (typeof text !== 'string' || !text.startsWith(WEBHOOK_SECRET_PREFIX)) {
    throw new PingbackOptionError(option, 'must be a Standard Webhooks secret, "whsec_" followed by base64', HOW);
  }
  const encoded = text.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new PingbackOptionError(option, 'is not valid base64 after "whsec_"', HOW);
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_BYTES || key.length > MAX_BYTES) {
    throw new PingbackOptionError(option, `must hold ${MIN_BYTES} to ${MAX_BYTES} bytes, got ${key.length}`, HOW);
  }
  return key;
}

/** A fresh secret in Standard Webhooks form (32 random bytes). */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, the exact
 * bytes sent. The id and timestamp are ours and never hold a full stop, so the three parts can't be shifted.
 */
export function webhookSignature(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
