import { describe, expect, it } from 'vitest';
import { END_TAG, EOF, HtmlScanner, START_TAG } from '../src/html/html-scan.ts';

function tags(html: string): string[] {
  const s = new HtmlScanner(html);
  const out: string[] = [];
  for (let k = s.next(); k !== EOF; k = s.next()) out.push(`${k === START_TAG ? '' : '/'}${s.name}${s.selfClosing ? '/' : ''}`);
  return out;
}

function firstAttrs(html: string, names: string[]): (string | null)[] {
  const s = new HtmlScanner(html);
  expect(s.next()).toBe(START_TAG);
  return names.map((n) => s.attr(n));
}

describe('HtmlScanner', () => {
  it('yields start and end tags, lower-cased, skipping text', () => {
    expect(tags('<!DOCTYPE html><HTML><Head></HEAD><body>hi <b>there</b></body></html>')).toEqual([
      'html',
      'head',
      '/head',
      'body',
      'b',
      '/b',
      '/body',
      '/html',
    ]);
  });

  it('skips comments, including the odd forms a browser accepts', () => {
    expect(tags('<!-- <a href="x"> --><i><!--><b><!---><u><!-- a -- b --!><s>')).toEqual(['i', 'b', 'u', 's']);
    expect(tags('<p><!-- never closed <a href=x>')).toEqual(['p']);
  });

  it('never reads markup inside script, style, textarea, title or noscript', () => {
    const html =
      '<script>var a = "<a href=\'x\'>"; if (a</b) {}</script><style>a[href]{}</style>' +
      '<textarea><a href=y></textarea><title><a></title><noscript><a href=z></noscript><a href=ok>';
    expect(tags(html)).toEqual(['script', '/script', 'style', '/style', 'textarea', '/textarea', 'title', '/title', 'noscript', '/noscript', 'a']);
  });

  it('ends raw text only at a real end tag of the same name', () => {
    expect(tags('<script>"</scriptx>" </SCRIPT ><a>')).toEqual(['script', '/script', 'a']);
  });

  it('reads quoted, unquoted and bare attributes, first duplicate winning', () => {
    expect(firstAttrs(`<a HREF="x" title='a "b"' data-x=y/z hidden href="dup">`, ['href', 'title', 'data-x', 'hidden', 'missing'])).toEqual([
      'x',
      'a "b"',
      'y/z',
      '',
      null,
    ]);
  });

  it('does not end a tag at a ">" inside a quoted value', () => {
    expect(firstAttrs('<a title="1 > 0" href="/next">', ['title', 'href'])).toEqual(['1 > 0', '/next']);
  });

  it('decodes character references in attribute values like a browser', () => {
    expect(firstAttrs('<a href="?a=1&amp;b=2&lt;&#x3A;&#58;&copy">', ['href'])).toEqual(['?a=1&b=2<::©']);
    // In attributes a legacy reference followed by "=" or a letter stays literal.
    expect(firstAttrs('<a href="?x=1&copy=2">', ['href'])).toEqual(['?x=1&copy=2']);
  });

  it('tells attribute order', () => {
    const s = new HtmlScanner('<link href="e" rel="pingback">');
    s.next();
    expect(s.attrIndex('href')).toBeLessThan(s.attrIndex('rel'));
  });

  it('marks self-closing syntax and end tags', () => {
    expect(tags('<br/><img src=a /><a href=/x/>x</a>')).toEqual(['br/', 'img/', 'a', '/a']);
    const s = new HtmlScanner('</div >');
    expect(s.next()).toBe(END_TAG);
  });

  it('drops a tag cut off by the end of the document', () => {
    expect(tags('<p>text<a href="unterminated')).toEqual(['p']);
    expect(tags('<p>text<a href=x')).toEqual(['p']);
  });

  it('treats a lone "<" and "</>" as text', () => {
    expect(tags('1 < 2 <3 </> <= <b>')).toEqual(['b']);
  });

  it('records where the doctype ends', () => {
    const s = new HtmlScanner('<!doctype html>\n<p>');
    s.next();
    expect(s.doctypeEnd).toBe(15);
  });
});
