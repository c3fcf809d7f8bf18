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

const NAMES = new Map<number, FaultCodeName>(
  Object.entries(FaultCode).map(([name, code]) => [code, name as FaultCodeName]),
);

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
