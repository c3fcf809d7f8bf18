/**
 * Every XML-RPC fault number this suite speaks, in one place: the Pingback 1.0 codes (spec §3) and the
 * xmlrpc-epi "fault interop" codes (specs.xmlrpc.org/specs/faults_interop, 2001-05-16).
 */
export const FaultCode = {
  /** Generic: the server can't tell which of the other codes applies. */
  GENERIC: 0,
  SOURCE_NOT_FOUND: 16,
  SOURCE_HAS_NO_LINK: 17,
  /** Only when the target *definitely* does not exist (spec §3). */
  TARGET_NOT_FOUND: 32,
  /** The target exists but can't be pinged (home page, list page, pingbacks off). */
  TARGET_CANNOT_BE_USED: 33,
  ALREADY_REGISTERED: 48,
  ACCESS_DENIED: 49,
  UPSTREAM_ERROR: 50,
  PARSE_ERROR: -32700,
  UNSUPPORTED_ENCODING: -32701,
  INVALID_CHARACTER: -32702,
  INVALID_XMLRPC: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

export type FaultCodeName = keyof typeof FaultCode;

const NAMES = new Map<number, FaultCodeName>(Object.entries(FaultCode).map(([name, code]) => [code, name as FaultCodeName]));

/** The constant's name for a known code (`48` → `"ALREADY_REGISTERED"`), or `undefined`. */
export function faultCodeName(code: number): FaultCodeName | undefined {
  return NAMES.get(code);
}

/**
 * An XML-RPC fault: what a server answers instead of a result, and what our parser throws for input it
 * refuses. `code` is the wire number; `message` is safe to send to a stranger (no stack, no internals).
 */
export class PingbackFault extends Error {
  override readonly name = 'PingbackFault';
  readonly code: number;

  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export function isPingbackFault(value: unknown): value is PingbackFault {
  return value instanceof PingbackFault;
}

/**
 * Every HTTP answer of the Webmention endpoint, in one place beside the Pingback faults: the status and
 * the short plain-text reason sent with it (W3C Webmention §3.2.1 and §3.2.3). Like the faults, the
 * reasons are safe to send to a stranger; what the source turns out to be is never told, because it is
 * only fetched after the answer.
 */
export const WebmentionAnswer = {
  accepted: { status: 202, message: 'Accepted: the source will be fetched and checked for a link to the target.' },
  notPost: { status: 405, message: 'This is a Webmention endpoint: POST a form with source and target here.' },
  tooLarge: { status: 413, message: 'The request body is too large for a Webmention.' },
  notForm: { status: 415, message: 'Send source and target as application/x-www-form-urlencoded.' },
  notUtf8: { status: 400, message: 'The form is not valid UTF-8.' },
  sourceMissing: { status: 400, message: 'The source parameter is missing.' },
  targetMissing: { status: 400, message: 'The target parameter is missing.' },
  sourceRepeated: { status: 400, message: 'The source parameter is given more than once.' },
  targetRepeated: { status: 400, message: 'The target parameter is given more than once.' },
  sourceInvalid: { status: 400, message: 'The source is not a valid URL.' },
  targetInvalid: { status: 400, message: 'The target is not a valid URL.' },
  sourceScheme: { status: 400, message: 'The source must be an http or https URL.' },
  targetScheme: { status: 400, message: 'The target must be an http or https URL.' },
  sourceCredentials: { status: 400, message: 'The source must not carry a user name or password.' },
  sourceTooLong: { status: 400, message: 'The source URL is too long.' },
  targetTooLong: { status: 400, message: 'The target URL is too long.' },
  same: { status: 400, message: 'The source and the target are the same URL.' },
  targetNotOurs: { status: 400, message: 'The target is not a page of this site.' },
  targetNotFound: { status: 400, message: 'The target does not exist.' },
  targetUnusable: { status: 400, message: 'The target does not accept Webmentions.' },
  ownSite: { status: 400, message: "Webmentions from this site's own pages are not recorded." },
  tooMany: { status: 429, message: 'Too many Webmentions; try again later.' },
  busy: { status: 503, message: 'Too many Webmentions are waiting to be verified; try again later.' },
  storeDown: { status: 503, message: 'The Webmention could not be taken right now; try again later.' },
  internal: { status: 500, message: 'Internal error.' },
} as const;

export type WebmentionAnswerName = keyof typeof WebmentionAnswer;

/** A Webmention refused before it was queued: the name of its answer in `WebmentionAnswer`. */
export class WebmentionRefusal extends Error {
  override readonly name = 'WebmentionRefusal';
  readonly answer: WebmentionAnswerName;
  readonly status: number;

  constructor(answer: WebmentionAnswerName) {
    super(WebmentionAnswer[answer].message);
    this.answer = answer;
    this.status = WebmentionAnswer[answer].status;
  }
}
