/**
 * Typed errors other than protocol faults (those are `PingbackFault`, in faults.ts). Each has a fixed
 * `name` and a stable `code` so callers can branch without parsing messages.
 */
export const ErrorCode = {
  OPTION: 'ERR_PINGBACK_OPTION',
  INPUT: 'ERR_PINGBACK_INPUT',
  TRANSPORT: 'ERR_PINGBACK_TRANSPORT',
  REPLY: 'ERR_PINGBACK_REPLY',
} as const;

/** An option with a bad value: names the option and says how to fix it. Thrown once, at the edge. */
export class PingbackOptionError extends Error {
  override readonly name = 'PingbackOptionError';
  readonly code = ErrorCode.OPTION;
  readonly option: string;

  constructor(option: string, problem: string, fix: string) {
    super(`option \`${option}\` ${problem}. ${fix}`);
    this.option = option;
  }
}

/** An argument that can't be used (a source that is not an absolute http(s) URL, say). */
export class PingbackInputError extends Error {
  override readonly name = 'PingbackInputError';
  readonly code = ErrorCode.INPUT;
}

export type TransportFailure =
  | 'timeout'
  | 'network'
  | 'redirect-limit'
  | 'bad-redirect'
  | 'aborted'
  | 'forbidden-address'
  /** The receiver has too many source fetches waiting already. */
  | 'busy';

/** The request never produced a usable HTTP response: it timed out, the connection failed or reset, etc. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code = ErrorCode.TRANSPORT;
  readonly kind: TransportFailure;
  readonly url: string;

  constructor(kind: TransportFailure, url: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
    this.url = url;
  }
}

/** An HTTP response arrived but it is not what the protocol expects (HTML where XML-RPC belongs, a 500, …). */
export class BadReplyError extends Error {
  override readonly name = 'BadReplyError';
  readonly code = ErrorCode.REPLY;
  readonly status: number;

  constructor(status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}
