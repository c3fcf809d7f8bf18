import { PingbackOptionError } from '../errors.ts';
import { checkKnownKeys } from '../option-checks.ts';

/** The two protocols a post's links are sent by. */
export type SendProtocol = 'webmention' | 'pingback';
export const SEND_PROTOCOLS: readonly SendProtocol[] = ['webmention', 'pingback'];

/** Which protocols may be used, and which wins when a target offers both. */
export interface ProtocolOptions {
  /** Send Webmentions. Default true. */
  webmention?: boolean;
  /** Send pingbacks. Default true. */
  pingback?: boolean;
  /** When a target offers both. Default `webmention`. */
  prefer?: SendProtocol;
}

export interface ResolvedProtocols {
  /** Enabled protocols, the preferred one first. */
  order: SendProtocol[];
}

/** Validates `protocols` once, at the edge; every error names the option and the fix. */
export function resolveProtocols(option: ProtocolOptions | undefined, where = 'protocols'): ResolvedProtocols {
  if (option === undefined) return { order: ['webmention', 'pingback'] };
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new PingbackOptionError(where, `must be an object, got ${JSON.stringify(option)}`, 'Write e.g. { prefer: "pingback" } or { webmention: false }.');
  }
  checkKnownKeys(where, option, ['webmention', 'pingback', 'prefer']);
  for (const key of ['webmention', 'pingback'] as const) {
    if (option[key] !== undefined && typeof option[key] !== 'boolean') {
      throw new PingbackOptionError(`${where}.${key}`, `must be true or false, got ${JSON.stringify(option[key])}`, 'Use a boolean.');
    }
  }
  if (option.prefer !== undefined && !SEND_PROTOCOLS.includes(option.prefer)) {
    throw new PingbackOptionError(
      `${where}.prefer`,
      `must be "webmention" or "pingback", got ${JSON.stringify(option.prefer)}`,
      'Use "webmention" (the default) or "pingback".',
    );
  }
  const preferred: SendProtocol[] = option.prefer === 'pingback' ? ['pingback', 'webmention'] : ['webmention', 'pingback'];
  const order = preferred.filter((p) => option[p] !== false);
  if (order.length === 0) {
    throw new PingbackOptionError(
      where,
      'turns off both Webmention and Pingback, so nothing could ever be sent',
      'Leave one of them on, or set `send: "off"` to send nothing.',
    );
  }
  return { order };
}
