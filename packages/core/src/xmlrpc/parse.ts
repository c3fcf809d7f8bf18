import { SaxesParser } from 'saxes';
import { FaultCode, PingbackFault } from '../faults.ts';
import type { MethodCall, MethodResponse, XmlRpcLimits, XmlRpcStruct, XmlRpcValue } from './value.ts';
import { REQUEST_LIMITS, RESPONSE_LIMITS, isStruct } from './value.ts';

interface Node {
  name: string;
  children: Node[];
  text: string;
}

function malformed(message: string, cause?: unknown): PingbackFault {
  return new PingbackFault(FaultCode.PARSE_ERROR, `parse error: ${message}`, { cause });
}

function nonConforming(message: string): PingbackFault {
  return new PingbackFault(FaultCode.INVALID_XMLRPC, `not conforming XML-RPC: ${message}`);
}

/**
 * The encoding named by the XML declaration, read with the XML parser itself from a byte-for-byte
 * (latin1) view of the first bytes: the declaration is ASCII in every encoding we accept.
 */
function declaredEncoding(bytes: Uint8Array): string | undefined {
  if (bytes[0] !== 0x3c || bytes[1] !== 0x3f) return undefined; // no "<?": no declaration
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 512)).toString('latin1');
  const end = head.indexOf('?>');
  if (end < 0) return undefined;
  const probe = new SaxesParser({ xmlns: false, position: false });
  let encoding: string | undefined;
  probe.on('xmldecl', (decl) => {
    encoding = decl.encoding;
  });
  probe.on('error', () => {});
  probe.write(head.slice(0, end + 2));
  return encoding;
}

/** Bytes → text honouring a BOM or the declared encoding; refuses what it can't decode faithfully. */
export function decodeXmlBytes(bytes: Uint8Array): string {
  let label = 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) label = 'utf-16be';
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) label = 'utf-16le';
  else {
    const declared = declaredEncoding(bytes);
    if (declared) label = declared.trim().toLowerCase();
  }
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    throw new PingbackFault(FaultCode.UNSUPPORTED_ENCODING, `unsupported encoding "${label.slice(0, 40)}"`);
  }
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new PingbackFault(FaultCode.INVALID_CHARACTER, `invalid character for encoding ${decoder.encoding}`, { cause: error });
  }
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

/**
 * Builds a small element tree with saxes, a strict XML 1.0 parser. No DOCTYPE is accepted at all, so no
 * entity can be declared, let alone expanded; the caps stop oversized and deeply nested documents while
 * parsing, before their cost is paid.
 */
function parseTree(body: string | Uint8Array, limits: XmlRpcLimits): Node {
  const size = byteLength(body);
  if (size > limits.maxBytes) {
    throw malformed(`body of ${size} bytes exceeds the limit of ${limits.maxBytes}`);
  }
  const text = typeof body === 'string' ? body : decodeXmlBytes(body);

  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: Node[] = [];
  let root: Node | undefined;
  let elements = 0;

  parser.on('doctype', () => {
    throw malformed('a DOCTYPE is not allowed in XML-RPC');
  });
  parser.on('error', (error) => {
    // saxes reports "disallowed character" for code points XML 1.0 forbids.
    if (/disallowed character/i.test(error.message)) {
      throw new PingbackFault(FaultCode.INVALID_CHARACTER, 'invalid character in the document', { cause: error });
    }
    throw malformed(error.message.split('\n')[0] ?? 'not well-formed', error);
  });
  parser.on('opentag', (tag) => {
    elements++;
    if (elements > limits.maxElements) throw malformed(`more than ${limits.maxElements} elements`);
    if (stack.length >= limits.maxDepth) throw malformed(`elements nested deeper than ${limits.maxDepth}`);
    const node: Node = { name: tag.name, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const onText = (chunk: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += chunk;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  try {
    parser.write(text).close();
  } catch (error) {
    if (error instanceof PingbackFault) throw error;
    throw malformed('not well-formed', error);
  }
  if (!root) throw malformed('no root element');
  return root;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

function onlyElements(node: Node): void {
  if (!isBlank(node.text)) throw nonConforming(`text is not allowed directly inside <${node.name}>`);
}

function leafText(node: Node): string {
  if (node.children.length > 0) throw nonConforming(`<${node.name}> must not contain elements`);
  return node.text;
}

const INTEGER = /^[+-]?\d{1,20}$/;
const DOUBLE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseDate(raw: string): Date {
  const compact = raw.trim().replaceAll('-', '');
  // YYYYMMDDTHH:MM:SS with optional fraction and zone, as Python and WordPress write it.
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(compact);
  if (!m) throw nonConforming(`bad dateTime.iso8601 "${raw.slice(0, 40)}"`);
  const [, y, mo, d, h, mi, s] = m;
  // Not Date.UTC: it reads years 0–99 as 1900–1999, so 0050 would come back as 1950.
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s));
  if (Number.isNaN(date.getTime())) throw nonConforming(`bad dateTime.iso8601 "${raw.slice(0, 40)}"`);
  return date;
}

function parseValue(node: Node): XmlRpcValue {
  if (node.name !== 'value') throw nonConforming(`expected <value>, found <${node.name}>`);
  if (node.children.length === 0) return node.text; // untyped value: a string (spec)
  if (node.children.length > 1) throw nonConforming('<value> holds more than one element');
  onlyElements(node);
  const typed = node.children[0]!;
  switch (typed.name) {
    case 'string':
      return leafText(typed);
    case 'int':
    case 'i4':
    case 'i8': {
      const raw = leafText(typed).trim();
      const n = INTEGER.test(raw) ? Number(raw) : Number.NaN;
      const max = typed.name === 'i8' ? Number.MAX_SAFE_INTEGER : 2147483647;
      const min = typed.name === 'i8' ? Number.MIN_SAFE_INTEGER : -2147483648;
      if (!Number.isInteger(n) || n > max || n < min) throw nonConforming(`bad <${typed.name}> "${raw.slice(0, 40)}"`);
      return n;
    }
    case 'boolean': {
      const raw = leafText(typed).trim();
      if (raw === '1') return true;
      if (raw === '0') return false;
      throw nonConforming(`bad <boolean> "${raw.slice(0, 40)}"`);
    }
    case 'double': {
      const raw = leafText(typed).trim();
      const n = DOUBLE.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n)) throw nonConforming(`bad <double> "${raw.slice(0, 40)}"`);
      return n;
    }
    case 'dateTime.iso8601':
      return parseDate(leafText(typed));
    case 'base64': {
      const raw = leafText(typed).replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) throw nonConforming('bad <base64>');
      return new Uint8Array(Buffer.from(raw, 'base64'));
    }
    case 'nil':
      leafText(typed);
      return null;
    case 'array': {
      onlyElements(typed);
      const [data, ...rest] = typed.children;
      if (data?.name !== 'data' || rest.length > 0) throw nonConforming('<array> must hold exactly one <data>');
      onlyElements(data);
      return data.children.map(parseValue);
    }
    case 'struct': {
      onlyElements(typed);
      // A null prototype: a member named "__proto__" must stay data, not become the prototype.
      const struct: XmlRpcStruct = Object.create(null) as XmlRpcStruct;
      for (const member of typed.children) {
        if (member.name !== 'member') throw nonConforming(`expected <member>, found <${member.name}>`);
        onlyElements(member);
        const name = member.children.find((c) => c.name === 'name');
        const value = member.children.find((c) => c.name === 'value');
        if (!name || !value || member.children.length !== 2) {
          throw nonConforming('<member> must hold one <name> and one <value>');
        }
        struct[leafText(name)] = parseValue(value);
      }
      return struct;
    }
    default:
      throw nonConforming(`unknown type <${typed.name.slice(0, 40)}>`);
  }
}

function parseParams(node: Node | undefined): XmlRpcValue[] {
  if (!node) return [];
  if (node.name !== 'params') throw nonConforming(`expected <params>, found <${node.name}>`);
  onlyElements(node);
  return node.children.map((param) => {
    if (param.name !== 'param') throw nonConforming(`expected <param>, found <${param.name}>`);
    onlyElements(param);
    if (param.children.length !== 1) throw nonConforming('<param> must hold exactly one <value>');
    return parseValue(param.children[0]!);
  });
}

/**
 * Parses an XML-RPC request. Every refusal is a `PingbackFault` with an interop code: -32700 for input
 * that is not well-formed or breaks a cap, -32701/-32702 for encodings, -32600 for XML that is not XML-RPC.
 */
export function parseMethodCall(body: string | Uint8Array, limits: XmlRpcLimits = REQUEST_LIMITS): MethodCall {
  const root = parseTree(body, limits);
  if (root.name !== 'methodCall') throw nonConforming(`root element is <${root.name.slice(0, 40)}>, not <methodCall>`);
  onlyElements(root);
  const [nameNode, paramsNode, ...rest] = root.children;
  if (nameNode?.name !== 'methodName') throw nonConforming('<methodCall> must start with <methodName>');
  if (rest.length > 0) throw nonConforming('<methodCall> holds unexpected elements');
  const methodName = leafText(nameNode).trim();
  if (methodName === '') throw nonConforming('empty <methodName>');
  return { methodName, params: parseParams(paramsNode) };
}

/** Parses an XML-RPC response: a single result value or a fault. Throws `PingbackFault` like `parseMethodCall`. */
export function parseMethodResponse(body: string | Uint8Array, limits: XmlRpcLimits = RESPONSE_LIMITS): MethodResponse {
  const root = parseTree(body, limits);
  if (root.name !== 'methodResponse') {
    throw nonConforming(`root element is <${root.name.slice(0, 40)}>, not <methodResponse>`);
  }
  onlyElements(root);
  const [child, ...rest] = root.children;
  if (!child || rest.length > 0) throw nonConforming('<methodResponse> must hold one <params> or one <fault>');
  if (child.name === 'fault') {
    onlyElements(child);
    if (child.children.length !== 1) throw nonConforming('<fault> must hold one <value>');
    const value = parseValue(child.children[0]!);
    if (!isStruct(value)) throw nonConforming('a fault must be a struct');
    // Some servers send the code as a string ("48"); anything else that is not an integer is refused.
    const rawCode = value.faultCode;
    const faultCode = typeof rawCode === 'number' ? rawCode : typeof rawCode === 'string' && INTEGER.test(rawCode.trim()) ? Number(rawCode) : Number.NaN;
    if (!Number.isInteger(faultCode)) throw nonConforming('a fault must carry an integer faultCode');
    const rawString = value.faultString;
    const faultString = typeof rawString === 'string' ? rawString : rawString == null ? '' : String(rawString);
    return { kind: 'fault', faultCode, faultString };
  }
  const params = parseParams(child);
  if (params.length !== 1) throw nonConforming(`a response must hold exactly one <param>, found ${params.length}`);
  return { kind: 'result', value: params[0]! };
}
