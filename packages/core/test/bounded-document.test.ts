import fc from 'fast-check';
import type { DefaultTreeAdapterMap } from 'parse5';
import { parse } from 'parse5';
import { describe, expect, it } from 'vitest';
import type { BoundedDocument, HtmlElement, HtmlNode } from '../src/html/bounded-document.ts';
import { elementAt, parseBoundedDocument, textContent, walk } from '../src/html/bounded-document.ts';
import { serializeDocument } from '../src/html/serialize-document.ts';

type P5Node = DefaultTreeAdapterMap['node'];
type P5Element = DefaultTreeAdapterMap['element'];

/** A tree as nested text, names lower-cased: `name[attr=value](children)`, text quoted. */
function shapeOf(el: HtmlElement): string {
  const parts: string[] = [];
  const node = (n: HtmlNode): string => {
    if (n.type === 'text') return JSON.stringify(n.text);
    return `${n.name}${n.attributes.map(([k, v]) => `[${k}=${JSON.stringify(v)}]`).join('')}(${n.children.map(node).join(',')})`;
  };
  parts.push(node(el));
  return parts.join('');
}

/** The same for parse5's tree, template contents read as children, adjacent text merged. */
function shapeOfParse5(el: P5Element): string {
  const children = (n: P5Element): P5Node[] => contentOf(n);
  const node = (n: P5Node): string => {
    if (n.nodeName === '#text') return JSON.stringify((n as DefaultTreeAdapterMap['textNode']).value);
    const e = n as P5Element;
    const kids = children(e).filter((c) => c.nodeName !== '#comment');
    const merged: string[] = [];
    let text: string | null = null;
    for (const c of kids) {
      if (c.nodeName === '#text') text = (text ?? '') + (c as DefaultTreeAdapterMap['textNode']).value;
      else {
        if (text !== null) merged.push(JSON.stringify(text));
        text = null;
        merged.push(node(c));
      }
    }
    if (text !== null) merged.push(JSON.stringify(text));
    return `${e.tagName.toLowerCase()}${e.attrs.map((a) => `[${a.name.toLowerCase()}=${JSON.stringify(a.value)}]`).join('')}(${merged.join(',')})`;
  };
  return node(el);
}

/** An element's children; an HTML template's are in its content fragment. */
function contentOf(e: P5Element): P5Node[] {
  const content = (e as Partial<DefaultTreeAdapterMap['template']>).content;
  return content ? content.childNodes : e.childNodes;
}

function parse5Html(html: string): P5Element {
  return parse(html).childNodes.find((n) => n.nodeName === 'html') as P5Element;
}

function stats(doc: BoundedDocument): { elements: number; depth: number } {
  let elements = 0;
  let depth = 0;
  let deepest = 0;
  walk(
    doc.html,
    (n) => {
      if (n.type === 'element') {
        elements++;
        depth++;
        deepest = Math.max(deepest, depth);
      }
    },
    () => depth--,
  );
  return { elements, depth: deepest };
}

function parse5Stats(html: string): { elements: number; depth: number } {
  let elements = 0;
  let deepest = 0;
  const visit = (n: P5Node, depth: number) => {
    if (!('childNodes' in n)) return;
    const e = n as P5Element;
    elements++;
    deepest = Math.max(deepest, depth);
    for (const c of contentOf(e)) visit(c, depth + 1);
  };
  visit(parse5Html(html), 1);
  return { elements, depth: deepest };
}

const tree = (html: string) => shapeOf(parseBoundedDocument(html).body);

describe('the bounded document: the shape of normal pages', () => {
  it('always has html, head and body, and puts head content in the head', () => {
    const doc = parseBoundedDocument('<!doctype html><html lang="en"><title>T &amp; U</title><meta charset=utf-8><p>Hi');
    expect(shapeOf(doc.html)).toBe('html[lang="en"](head(title("T & U"),meta[charset="utf-8"]()),body(p("Hi")))');
    expect(shapeOf(parseBoundedDocument('').html)).toBe('html(head(),body())');
    // Head content after </head> and before <body> still goes to the head, as browsers put it.
    expect(shapeOf(parseBoundedDocument('<head></head>\n<script>x()</script><body class=b>y').html)).toBe(
      'html(head(script("x()")),"\\n",body[class="b"]("y"))',
    );
  });

  it('closes what the standard closes without an end tag', () => {
    expect(tree('<p>one<p>two<div>three</div>')).toBe('body(p("one"),p("two"),div("three"))');
    expect(tree('<ul><li>a<li>b<ul><li>c</ul></ul>')).toBe('body(ul(li("a"),li("b",ul(li("c")))))');
    expect(tree('<dl><dt>t<dd>d<dt>u</dl>')).toBe('body(dl(dt("t"),dd("d"),dt("u")))');
    expect(tree('<h1>a<h2>b</h1>c')).toBe('body(h1("a"),h2("b"),"c")');
    expect(tree('<table><tr><td>1<td>2<tr><th>3</table>')).toBe('body(table(tbody(tr(td("1"),td("2")),tr(th("3")))))');
    expect(tree('<select><option>a<option>b</select>')).toBe('body(select(option("a"),option("b")))');
    expect(tree('<a href=1>one<a href=2>two')).toBe('body(a[href="1"]("one"),a[href="2"]("two"))');
    expect(tree('<p>x</p></p><br></br>')).toBe('body(p("x"),p(),br(),br())');
  });

  it('ignores end tags that close nothing, and stops at special elements', () => {
    expect(tree('<div><span>x</div>y</span>z')).toBe('body(div(span("x")),"yz")');
    expect(tree('<span><div>x</span>y</div>')).toBe('body(span(div("xy")))');
    expect(tree('</span></div></table>text')).toBe('body("text")');
  });

  it('reads raw text as text, drops comments, and keeps attributes as a browser does', () => {
    expect(tree('<p>x</p><script>if (a<b) {}</script><style>p>a{}</style><textarea>\n&lt;b&gt;</textarea><!-- gone --><xmp><i></xmp>')).toBe(
      'body(p("x"),script("if (a<b) {}"),style("p>a{}"),textarea("<b>"),xmp("<i>"))',
    );
    expect(tree('<A HREF="x&amp;y" href=second Class=c data-x>t</A>')).toBe('body(a[href="x&y"][class="c"][data-x=""]("t"))');
    expect(tree('<p>a\r\nb\rc</p>')).toBe('body(p("a\\nb\\nc"))');
  });

  it('follows SVG and MathML content, and leaves it at an HTML element', () => {
    expect(tree('<svg><circle r="1"/><foreignObject><p>in</p></foreignObject></svg><math><mi>x</mi></math>')).toBe(
      'body(svg(circle[r="1"](),foreignobject(p("in"))),math(mi("x")))',
    );
    const doc = parseBoundedDocument('<svg><g><p>out</p>');
    expect(shapeOf(doc.body)).toBe('body(svg(g()),p("out"))');
    expect((doc.body.children[0] as HtmlElement).namespace).toBe('svg');
  });

  it('knows where each element is in the source', () => {
    const html = '<p>before <a href="x">the <b>link</b></a> after</p>';
    const doc = parseBoundedDocument(html);
    const a = elementAt(doc, html.indexOf('<a'));
    expect(a.name).toBe('a');
    expect(a.start).toBe(html.indexOf('<a'));
    expect(a.end).toBe(html.indexOf('</a>') + 4);
    expect(textContent(a.parent!)).toBe('before the link after');
  });
});

describe('the bounded document: caps', () => {
  it('makes no element past the element cap, and keeps their text in the element that was open', () => {
    const doc = parseBoundedDocument(`<div>${'<i>x</i>'.repeat(100)}</div>`, { maxElements: 10 });
    expect(doc.elementCount).toBe(10);
    expect(doc.truncated).toBe(true);
    expect(textContent(doc.body)).toBe('x'.repeat(100));
  });

  it('makes no element deeper than the depth cap; a page of unclosed elements stays flat there', () => {
    const doc = parseBoundedDocument(`${'<div>'.repeat(1000)}deep<a href="t">link</a>`, { maxDepth: 20 });
    expect(stats(doc).depth).toBe(20);
    expect(textContent(doc.body)).toBe('deeplink');
    // The link's start tag was left out: its content went into the deepest element, which spans it.
    const html = `${'<div>'.repeat(1000)}deep<a href="t">link</a>`;
    const at = elementAt(parseBoundedDocument(html, { maxDepth: 20 }), html.indexOf('<a'));
    expect(at.name).toBe('div');
  });

  it('drops the content of a script it did not make', () => {
    const doc = parseBoundedDocument('<p>a</p><script>secret()</script><p>b</p>', { maxElements: 4 });
    expect(textContent(doc.body)).toBe('ab');
  });

  it('keeps at most maxAttributes attributes, the first of each name', () => {
    const attrs = Array.from({ length: 1000 }, (_, i) => `a${i % 500}="${i}"`).join(' ');
    const doc = parseBoundedDocument(`<p ${attrs}>x</p>`, { maxAttributes: 300 });
    const p = doc.body.children[0] as HtmlElement;
    expect(p.attributes).toHaveLength(300);
    expect(p.getAttribute('a7')).toBe('7');
    expect(doc.truncated).toBe(true);
  });

  it('holds the defaults on a megabyte of unclosed, nested and wide markup', () => {
    for (const html of ['<b>'.repeat(350_000), '<div>'.repeat(200_000), '<p>x'.repeat(250_000), '<i></i>'.repeat(150_000)]) {
      const doc = parseBoundedDocument(html);
      const { elements, depth } = stats(doc);
      expect(elements).toBeLessThanOrEqual(50_000);
      expect(depth).toBeLessThanOrEqual(256);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// What the next parser sees: the serialization, read back by parse5 (the parser inside microformats-parser)

const NORMAL_PAGES = [
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A post</title><link rel="stylesheet" href="/s.css"></head>\n<body>\n<header><nav><a href="/">Home</a></nav></header>\n<main><article class="h-entry"><h1 class="p-name">A post</h1><p class="p-author h-card"><a class="u-url p-name" href="https://ann.example/">Ann</a></p><time class="dt-published" datetime="2026-01-01">1 Jan</time><div class="e-content"><p>I liked <a href="https://blog.example/posts/hello/">this post</a> a lot.</p><ul><li>one<li>two</ul><pre>\n  code &lt;b&gt;\n</pre><table><tr><th>a<th>b<tr><td>1<td>2</table></div></article></main>\n<footer><address>By <a href="mailto:a@example.com">Ann</a></address></footer>\n<script>if (a < b) { run(); }</script>\n</body>\n</html>\n',
  '<html><head><title>Old style</title></head><body bgcolor=white><center><font face=Arial>Hello<br>there<p>para one<p>para two</font></center><img src=x.png alt="an image"><hr><dl><dt>term<dd>def</dl></body></html>',
  '<p>Just a fragment with an <em>emphasis</em> and <a href="https://blog.example/posts/hello/">a link</a>.',
  '<!doctype html><title>svg</title><p>Inline <svg viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/><text>hi</text></svg> and <math><mi>x</mi><mo>=</mo><mn>1</mn></math></p><template><p>inert</p></template><textarea>\nkept</textarea>',
];

describe('the serialization', () => {
  it.each(NORMAL_PAGES)('of a normal page is read back by parse5 into the same tree: %#', (page) => {
    const ours = parseBoundedDocument(page);
    const written = serializeDocument(ours);
    expect(shapeOfParse5(parse5Html(written))).toBe(shapeOf(ours.html));
    // And it is a fixed point: parsing what we wrote writes the same again.
    expect(serializeDocument(parseBoundedDocument(written))).toBe(written);
  });

  const soup = fc
    .array(
      fc.constantFrom(
        '<p>',
        '</p>',
        '<div>',
        '</div>',
        '<span>',
        '</span>',
        '<b>',
        '</b>',
        '<i>',
        '</i>',
        '<a href="x">',
        '</a>',
        '<li>',
        '</li>',
        '<ul>',
        '</ul>',
        '<h2>',
        '</h2>',
        '<table>',
        '</table>',
        '<tr>',
        '<td>',
        '</td>',
        '<br>',
        '</br>',
        '<img src=i>',
        '<pre>',
        '\n',
        'text',
        ' ',
        '&amp;',
        '&lt;',
        '<script>x<y</script>',
        '<style>a{}</style>',
        '<!-- c -->',
        '<svg>',
        '</svg>',
        '<circle/>',
        '<foreignObject>',
        '<math>',
        '<mi>',
        '</math>',
        '<title>t</title>',
        '<textarea>',
        '</textarea>',
        '<template>',
        '</template>',
        '<address>',
        '</address>',
        '<form>',
        '</form>',
        '<button>',
        '<select>',
        '<option>',
        '</select>',
        '<html lang=x>',
        '<body class=y>',
        '<head>',
        '</head>',
        '<dd>',
        '<dt>',
        '<plaintext>',
        '<xmp>',
        '</xmp>',
        '<caption>',
        '<colgroup>',
        '<col>',
        '<tbody>',
        '<thead>',
        '</tr>',
        '<th>',
        '<nobr>',
        '<h1>',
        '</h1>',
        '<em>',
        '<table><tr><td>c</table>',
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(''));

  it('of any tag soup is a fixed point of our own parse, and parse5 reads it with no blow-up', () => {
    fc.assert(
      fc.property(soup, (html) => {
        const ours = parseBoundedDocument(html);
        const written = serializeDocument(ours);
        const mine = stats(ours);
        const theirs = parse5Stats(written);
        // Where this tree keeps markup a browser moves out of a table (foster parenting), parse5 moves it
        // and may add the implied elements that go with it; nothing more.
        expect(theirs.elements, written).toBeLessThanOrEqual(2 * mine.elements);
        expect(theirs.depth, written).toBeLessThanOrEqual(mine.depth + 2);
        expect(serializeDocument(parseBoundedDocument(written)), html).toBe(written);
      }),
      { numRuns: 2000 },
    );
  });

  it('of a megabyte of pathological markup stays within the caps for parse5 too', () => {
    for (const html of ['<b>'.repeat(350_000), `${'<div>'.repeat(100_000)}x`, '<table><tr>'.repeat(60_000), `<p ${'a=1 '.repeat(200_000)}>`]) {
      const written = serializeDocument(parseBoundedDocument(html));
      const theirs = parse5Stats(written);
      expect(theirs.elements).toBeLessThanOrEqual(50_000);
      expect(theirs.depth).toBeLessThanOrEqual(256);
    }
  });
});
