import { decodeHTML, decodeHTMLAttribute } from 'entities/decode';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAttributeValue, decodeText } from '../src/html/char-refs.ts';

// The build decodes the simple references itself and leaves the rest to entities: whatever a page has,
// the answer must be the library's.
const part = fc.constantFrom(
  '&',
  'amp',
  'amp;',
  'lt;',
  'gt',
  'quot;',
  'apos;',
  'copy',
  'copy;',
  'eacute;',
  'notin;',
  '#',
  '#39;',
  '#039;',
  '#x27;',
  '#X41;',
  '#x7e;',
  '#x7f;',
  '#31;',
  '#0;',
  '#128;',
  '#x80;',
  '#xD800;',
  '#1114112;',
  '#x110000;',
  '#9999999;',
  '#x;',
  ';',
  '=',
  'a',
  'Z',
  '1',
  ' ',
  'é',
  '😀',
);
const text = fc.array(part, { maxLength: 12 }).map((parts) => parts.join(''));

describe('character references in titles and attribute values', () => {
  it('decode as entities decodes them, in text and in attributes', () => {
    fc.assert(
      fc.property(text, (raw) => {
        expect(decodeText(raw)).toBe(decodeHTML(raw));
        expect(decodeAttributeValue(raw)).toBe(decodeHTMLAttribute(raw));
      }),
      { numRuns: 5000 },
    );
  });

  it('keep the attribute rule for legacy references without a semicolon', () => {
    expect(decodeAttributeValue('/?a=1&copy=2')).toBe('/?a=1&copy=2');
    expect(decodeText('&copy=2')).toBe('©=2');
    expect(decodeAttributeValue('&amp;&lt;&#39;&#x41;')).toBe("&<'A");
  });
});
