import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MethodTable, XmlRpcValue } from '../src/xmlrpc/index.ts';
import { checkSignature, parseMethodCall, parseMethodResponse } from '../src/xmlrpc/index.ts';
import { PingbackFault } from '../src/faults.ts';

const dir = new URL('./fixtures/xmlrpc/', import.meta.url);
const files = (sub: string) =>
  readdirSync(new URL(sub, dir))
    .filter((f) => f.endsWith('.xml'))
    .sort();
const read = (path: string) => new Uint8Array(readFileSync(new URL(path, dir)));

/** What a Pingback receiver offers; the corpus's -32601/-32602 cases are checked against it. */
const PINGBACK_TABLE: MethodTable = {
  'pingback.ping': { params: ['string', 'string'] },
  'pingback.extensions.getPingbacks': { params: ['string'] },
  'system.listMethods': { params: [] },
};

/** Values as JSON: dates and bytes get tagged objects, structs lose their null prototype. */
function plain(value: XmlRpcValue): unknown {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) Object.defineProperty(out, key, { value: plain(value[key]!), enumerable: true });
    return out;
  }
  return value;
}

describe('XML-RPC corpus: good documents', () => {
  const good = files('good/');
  it('has a corpus to run', () => expect(good.length).toBeGreaterThan(15));
  for (const file of good) {
    it(file, () => {
      const expected = JSON.parse(readFileSync(new URL(`good/${file.replace(/\.xml$/, '.json')}`, dir), 'utf8'));
      const body = read(`good/${file}`);
      if (expected.call) {
        const call = parseMethodCall(body);
        expect({ methodName: call.methodName, params: call.params.map(plain) }).toEqual(expected.call);
      } else {
        const response = parseMethodResponse(body);
        expect(response.kind === 'result' ? { kind: 'result', value: plain(response.value) } : response).toEqual(expected.response);
      }
    });
  }
});

describe('XML-RPC corpus: bad documents answer the right fault', () => {
  const bad = files('bad/');
  it('has a corpus to run', () => expect(bad.length).toBeGreaterThan(35));
  for (const file of bad) {
    const code = -Number(file.split('-')[0]);
    it(`${file} → ${code}`, () => {
      let fault: unknown;
      try {
        checkSignature(parseMethodCall(read(`bad/${file}`)), PINGBACK_TABLE);
      } catch (error) {
        fault = error;
      }
      expect(fault).toBeInstanceOf(PingbackFault);
      expect((fault as PingbackFault).code).toBe(code);
      // Messages go to strangers: short, no stack, no file system paths.
      expect((fault as PingbackFault).message.length).toBeLessThan(300);
      expect((fault as PingbackFault).message).not.toMatch(/\/(work|home|usr|etc)\//);
    });
  }
});

describe('XML-RPC parser hardening', () => {
  it('never expands an entity: the billion laughs are refused at the DOCTYPE', () => {
    const before = process.memoryUsage().heapUsed;
    expect(() => parseMethodCall(read('bad/32700-billion-laughs.xml'))).toThrow(/DOCTYPE/);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses an oversized body before parsing it', () => {
    const huge = `<methodCall><methodName>x</methodName>${'<!-- -->'.repeat(20_000)}</methodCall>`;
    expect(() => parseMethodCall(huge)).toThrow(/exceeds the limit of 65536/);
  });

  it('stops counting elements as soon as the cap is passed', () => {
    const many = `<methodCall><methodName>x</methodName><params>${'<param><value>a</value></param>'.repeat(300)}</params></methodCall>`;
    expect(() => parseMethodCall(many, { maxBytes: 1 << 20, maxElements: 100, maxDepth: 32 })).toThrow(/more than 100 elements/);
  });

  it('keeps a struct member named __proto__ as data', () => {
    const call = parseMethodCall(read('good/call-proto-member.xml'));
    const struct = call.params[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(struct)).toBe(null);
    expect(Object.keys(struct)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads a response fault as data, not as a thrown error', () => {
    const response = parseMethodResponse(read('good/response-fault.xml'));
    expect(response).toEqual({ kind: 'fault', faultCode: 48, faultString: 'The pingback has already been registered.' });
  });

  it('refuses a response with two params or a fault without a code', () => {
    const two = '<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>';
    expect(() => parseMethodResponse(two)).toThrow(PingbackFault);
    const noCode = '<methodResponse><fault><value><struct><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>';
    expect(() => parseMethodResponse(noCode)).toThrow(/integer faultCode/);
  });
});
