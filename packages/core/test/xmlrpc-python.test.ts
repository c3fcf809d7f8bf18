import { describe, expect, it } from 'vitest';
import { pythonDecode, pythonEncode } from '../../../test/support/python.ts';
import { parseMethodCall, parseMethodResponse, writeFault, writeMethodCall, writeMethodResponse } from '../src/xmlrpc/index.ts';

// An independent codec on both sides: what we write, Python's xmlrpc.client reads; what Python writes, we read.

const TRICKY = [
  'http://example.com/?a=1&b=2&amp;c',
  '<script>alert(1)</script>',
  ']]> and <![CDATA[',
  'café — 日本語 — 🎉',
  'line\nbreak\ttab',
  '  leading and trailing  ',
  '',
];

describe('our writer, read by Python xmlrpc.client', () => {
  it('pingback.ping with URLs full of &, < and non-ASCII decodes to the same strings', () => {
    for (const text of TRICKY) {
      const xml = writeMethodCall('pingback.ping', [text, `http://target.example/${text}`]);
      expect(pythonDecode(xml)).toEqual({ method: 'pingback.ping', params: [text, `http://target.example/${text}`] });
    }
  });

  it('keeps a carriage return and replaces characters XML cannot carry', () => {
    const xml = writeMethodCall('m', ['a\r\nb', 'x\u0001y\uFFFEz', 'lone \uD800 surrogate']);
    expect(pythonDecode(xml)).toEqual({ method: 'm', params: ['a\r\nb', 'x\uFFFDy\uFFFDz', 'lone \uFFFD surrogate'] });
  });

  it('writes every type Python knows', () => {
    const xml = writeMethodCall('weblogUpdates.extendedPing', [
      'name',
      42,
      -2147483648,
      1.5,
      true,
      false,
      [1, 'two', [3]],
      { flerror: false, message: 'ok', nested: { list: ['a'] } },
      new Date(Date.UTC(2026, 10, 21, 5, 6, 7)),
      new Uint8Array([0, 1, 2, 255]),
      null,
    ]);
    expect(pythonDecode(xml)).toEqual({
      method: 'weblogUpdates.extendedPing',
      params: [
        'name',
        42,
        -2147483648,
        1.5,
        true,
        false,
        [1, 'two', [3]],
        { flerror: false, message: 'ok', nested: { list: ['a'] } },
        { $datetime: '20261121T05:06:07' },
        { $base64: 'AAEC/w==' },
        null,
      ],
    });
  });

  it('writes a response and a fault Python reads as such', () => {
    expect(pythonDecode(writeMethodResponse('Pingback registered.'))).toEqual({ method: null, params: ['Pingback registered.'] });
    expect(pythonDecode(writeFault(48, 'already registered & <known>'))).toEqual({ fault: { code: 48, string: 'already registered & <known>' } });
  });
});

describe('Python xmlrpc.client output, read by our parser', () => {
  it('reads a call with tricky strings', () => {
    for (const text of TRICKY) {
      const call = parseMethodCall(pythonEncode({ method: 'pingback.ping', params: [text, 'http://t.example/'] }));
      expect(call).toEqual({ methodName: 'pingback.ping', params: [text, 'http://t.example/'] });
    }
  });

  it('reads structs, arrays, numbers, booleans, dates and bytes', () => {
    const call = parseMethodCall(
      pythonEncode({
        method: 'm',
        params: [{ flerror: true, message: 'x', list: [1, 2.5, 'z'] }, { $datetime: '20260102T03:04:05' }, { $base64: 'aGk=' }, null],
      }),
    );
    expect(JSON.parse(JSON.stringify(call.params[0]))).toEqual({ flerror: true, message: 'x', list: [1, 2.5, 'z'] });
    expect(call.params[1]).toEqual(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
    expect(Buffer.from(call.params[2] as Uint8Array).toString()).toBe('hi');
    expect(call.params[3]).toBe(null);
  });

  it('reads a fault and a result response', () => {
    expect(parseMethodResponse(pythonEncode({ fault: { code: 17, string: 'no link <here>' } }))).toEqual({
      kind: 'fault',
      faultCode: 17,
      faultString: 'no link <here>',
    });
    expect(parseMethodResponse(pythonEncode({ response: 'ok & done' }))).toEqual({ kind: 'result', value: 'ok & done' });
  });
});
