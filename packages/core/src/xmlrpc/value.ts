/**
 * XML-RPC values as JavaScript values. Integers that fit in 32 bits travel as `<int>`, other numbers as
 * `<double>`; `null` is the common `<nil/>` extension, accepted on input but never needed by Pingback.
 */
export type XmlRpcValue = string | number | boolean | Date | Uint8Array | null | XmlRpcValue[] | XmlRpcStruct;

export interface XmlRpcStruct {
  [member: string]: XmlRpcValue;
}

export interface MethodCall {
  methodName: string;
  params: XmlRpcValue[];
}

export type MethodResponse = { kind: 'result'; value: XmlRpcValue } | { kind: 'fault'; faultCode: number; faultString: string };

export function isStruct(value: XmlRpcValue | undefined): value is XmlRpcStruct {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array);
}

/** Caps applied before and during parsing; the defaults suit a request from a stranger. */
export interface XmlRpcLimits {
  /** Bytes of body accepted at all; checked before parsing. */
  maxBytes: number;
  /** Elements in the document; parsing stops as soon as it is exceeded. */
  maxElements: number;
  /** Nesting depth of elements. */
  maxDepth: number;
}

/** 64 KiB is ample for any Pingback call (protocol notes, R4). */
export const REQUEST_LIMITS: XmlRpcLimits = { maxBytes: 64 * 1024, maxElements: 512, maxDepth: 32 };

/** Replies can be larger (getPingbacks lists); still bounded. */
export const RESPONSE_LIMITS: XmlRpcLimits = { maxBytes: 1024 * 1024, maxElements: 50_000, maxDepth: 64 };
