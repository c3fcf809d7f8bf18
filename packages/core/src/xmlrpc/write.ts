import type { XmlRpcValue } from './value.ts';
import { isStruct } from './value.ts';

/**
 * XML 1.0 can't carry C0 controls (except tab, LF, CR), lone surrogates, U+FFFE or U+FFFF, even escaped;
 * they become U+FFFD. CR is written as a character reference because XML parsers normalise a raw CR away.
 */
function escapeText(text: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let rep: string | undefined;
    if (c === 0x26) rep = '&amp;';
    else if (c === 0x3c) rep = '&lt;';
    else if (c === 0x3e) rep = '&gt;';
    else if (c === 0x0d) rep = '&#13;';
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0xfffe || c === 0xffff) rep = '\uFFFD';
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\uFFFD';
    } else if (c >= 0xdc00 && c <= 0xdfff) rep = '\uFFFD';
    if (rep !== undefined) {
      out += text.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function writeValue(value: XmlRpcValue, depth: number): string {
  if (depth > 64) throw new RangeError('XML-RPC value nested deeper than 64 levels');
  if (typeof value === 'string') return `<value><string>${escapeText(value)}</string></value>`;
  if (typeof value === 'boolean') return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) {
      return `<value><int>${value}</int></value>`;
    }
    if (!Number.isFinite(value)) throw new RangeError(`XML-RPC has no representation for ${value}`);
    return `<value><double>${value}</double></value>`;
  }
  if (value === null) return '<value><nil/></value>';
  if (value instanceof Date) {
    const d = value;
    const iso = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    return `<value><dateTime.iso8601>${iso}</dateTime.iso8601></value>`;
  }
  if (value instanceof Uint8Array) {
    return `<value><base64>${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}</base64></value>`;
  }
  if (Array.isArray(value)) {
    return `<value><array><data>${value.map((v) => writeValue(v, depth + 1)).join('')}</data></array></value>`;
  }
  if (isStruct(value)) {
    let members = '';
    for (const [name, member] of Object.entries(value)) {
      members += `<member><name>${escapeText(name)}</name>${writeValue(member, depth + 1)}</member>`;
    }
    return `<value><struct>${members}</struct></value>`;
  }
  throw new TypeError(`not an XML-RPC value: ${typeof value}`);
}

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function writeMethodCall(methodName: string, params: readonly XmlRpcValue[]): string {
  const body = params.map((p) => `<param>${writeValue(p, 0)}</param>`).join('');
  return `${PROLOG}<methodCall><methodName>${escapeText(methodName)}</methodName><params>${body}</params></methodCall>\n`;
}

export function writeMethodResponse(value: XmlRpcValue): string {
  return `${PROLOG}<methodResponse><params><param>${writeValue(value, 0)}</param></params></methodResponse>\n`;
}

export function writeFault(faultCode: number, faultString: string): string {
  const fault = writeValue({ faultCode, faultString }, 0);
  return `${PROLOG}<methodResponse><fault>${fault}</fault></methodResponse>\n`;
}
