import { FaultCode, PingbackFault } from '../faults.ts';
import type { MethodCall, XmlRpcValue } from './value.ts';
import { isStruct } from './value.ts';

export type ParamType = 'string' | 'int' | 'boolean' | 'struct' | 'array';

/** The methods a server offers and the parameter types each takes (trailing ones may be optional). */
export type MethodTable = Record<string, { params: ParamType[]; optional?: number }>;

function typeOf(value: XmlRpcValue): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'dateTime.iso8601';
  if (value instanceof Uint8Array) return 'base64';
  return isStruct(value) ? 'struct' : 'unknown';
}

/**
 * Checks a parsed call against the method table: -32601 for a method not offered (including
 * `system.multicall`, unless a table lists it), -32602 for a wrong number or type of parameters.
 */
export function checkSignature(call: MethodCall, table: MethodTable): void {
  const spec = Object.hasOwn(table, call.methodName) ? table[call.methodName] : undefined;
  if (!spec) {
    throw new PingbackFault(FaultCode.METHOD_NOT_FOUND, `method not found: ${call.methodName.slice(0, 100)}`);
  }
  const max = spec.params.length;
  const min = max - (spec.optional ?? 0);
  if (call.params.length < min || call.params.length > max) {
    const want = min === max ? `${max}` : `${min} to ${max}`;
    throw new PingbackFault(FaultCode.INVALID_PARAMS, `invalid params: ${call.methodName} takes ${want}, got ${call.params.length}`);
  }
  call.params.forEach((param, i) => {
    const want = spec.params[i]!;
    const got = typeOf(param);
    if (got !== want) {
      throw new PingbackFault(FaultCode.INVALID_PARAMS, `invalid params: parameter ${i + 1} of ${call.methodName} must be a ${want}, got ${got}`);
    }
  });
}
