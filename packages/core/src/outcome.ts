import { FaultCode } from './faults.ts';

/**
 * The one vocabulary for what happened to a ping, shared by the code, the command and every report.
 * - `registered`: the server accepted it.
 * - `already-registered`: fault 48; counts as done.
 * - `refused`: faults 32, 33, 49 (and protocol-level refusals): never retried.
 * - `retryable`: faults 0, 16, 17, 50 and any other, network errors, timeouts, non-XML replies.
 * - `no-endpoint`: the target advertises no Pingback server; not retried until the post changes.
 */
export const PING_STATUSES = ['registered', 'already-registered', 'refused', 'retryable', 'no-endpoint'] as const;
export type PingStatus = (typeof PING_STATUSES)[number];

const REFUSED = new Set<number>([
  FaultCode.TARGET_NOT_FOUND,
  FaultCode.TARGET_CANNOT_BE_USED,
  FaultCode.ACCESS_DENIED,
  // The endpoint does not speak Pingback, or not our well-formed calls: asking again won't change that.
  FaultCode.METHOD_NOT_FOUND,
  FaultCode.INVALID_PARAMS,
  FaultCode.INVALID_XMLRPC,
]);

export function statusForFault(code: number): PingStatus {
  if (code === FaultCode.ALREADY_REGISTERED) return 'already-registered';
  if (REFUSED.has(code)) return 'refused';
  return 'retryable';
}

/** Done means never send this (source, target) again. */
export function isDone(status: PingStatus): boolean {
  return status === 'registered' || status === 'already-registered';
}
