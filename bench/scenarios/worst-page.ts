import { canonicalKey, parseMethodCall, siteMatcher, verifySource, writeMethodCall } from '@pingback/core';
import type { Figure, Scenario } from '../harness.ts';
import { alternate, median } from '../harness.ts';
import { pathologicalPages, plainPage } from '../pathological-pages.ts';

const TARGET = 'https://blog.example/posts/hello/';
const SITE = siteMatcher('https://blog.example/', []);
const KEY = canonicalKey(TARGET);
const MIB = 1024 * 1024;

function verify(html: string): void {
  if (!verifySource({ html, sourceUrl: 'https://source.example/reply/', target: TARGET, key: KEY, site: SITE })) throw new Error('the link was not found');
}

/** XML-RPC bodies just under `size`: a plain call, and calls that make the parser work hardest per byte. */
function xmlBodies(size: number): { plain: string; worst: Record<string, string> } {
  const call = (source: string) => writeMethodCall('pingback.ping', [source, TARGET]);
  const room = size - call('').length - 64;
  const fill = (unit: string, bytes = room) => unit.repeat(Math.max(0, Math.floor(bytes / unit.length)));
  return {
    plain: call(`https://source.example/?q=${fill('x')}`),
    worst: {
      attributes: call('https://source.example/').replace(
        '<methodCall>',
        `<methodCall${Array.from({ length: Math.floor(room / 12) }, (_, i) => ` a${i.toString(36)}="1"`)
          .join('')
          .slice(0, room)}>`,
      ),
      comments: call('https://source.example/').replace('<params>', `<params>${fill('<!---->')}`),
      'character references': call('https://source.example/').replace('<string>https', `<string>${fill('&#x20;')}https`),
      'CDATA sections': call('https://source.example/').replace('<string>https', `<string>${fill('<![CDATA[]]>')}https`),
    },
  };
}

async function slowest(candidates: Record<string, string>, run: (body: string) => void, rounds: number): Promise<[string, number]> {
  let worst: [string, number] = ['', -1];
  for (const [name, body] of Object.entries(candidates)) {
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t = performance.now();
      run(body);
      times.push(performance.now() - t);
    }
    const m = median(times);
    if (m > worst[1]) worst = [name, m];
  }
  return worst;
}

/**
 * The receiver's work on the worst source page of 1 MiB it can be sent (of 23 shapes: unclosed, misnested,
 * deep, wide, many attributes, links, author candidates, addresses…), against a plain page of the same
 * size, in this process, alternating; then the same page at half the size, which for work linear in the
 * page's length takes half the time (a quadratic step would take a quarter). Likewise the XML-RPC parser
 * on the worst request body under the 64 KiB cap.
 */
export const worstPage: Scenario = {
  name: 'worst-page',
  summary: 'verifying the worst 1 MiB source page against a plain one, and the worst 64 KiB XML-RPC body',
  async run({ smoke, log }) {
    const size = smoke ? 64 * 1024 : MIB;
    const rounds = smoke ? 3 : 15;
    const pages = Object.fromEntries(pathologicalPages(TARGET, size).map((p) => [p.name, p.html]));
    const plain = plainPage(TARGET, size);
    for (let i = 0; i < 3; i++) verify(plain); // warm up

    const [name] = await slowest(pages, verify, smoke ? 1 : 3);
    log(`the slowest of ${Object.keys(pages).length} shapes: ${name}`);
    const full = await alternate(
      rounds,
      async () => verify(plain),
      async () => verify(pages[name]!),
    );
    const halfPage = pathologicalPages(TARGET, size / 2).find((p) => p.name === name)!.html;
    const scaling = await alternate(
      rounds,
      async () => verify(halfPage),
      async () => verify(pages[name]!),
    );

    const xml = xmlBodies(64 * 1024);
    const parse = (body: string) => void parseMethodCall(body);
    const [xmlName] = await slowest(xml.worst, parse, smoke ? 3 : 20);
    const xmlRounds = smoke ? 5 : 200;
    // Each timed run parses the body ten times: one parse is well under a millisecond.
    const ten = (body: string) => async () => {
      for (let i = 0; i < 10; i++) parse(body);
    };
    const xmlFull = await alternate(xmlRounds, ten(xml.plain), ten(xml.worst[xmlName]!));
    const xmlHalf = xmlBodies(32 * 1024).worst[xmlName]!;
    const xmlScaling = await alternate(xmlRounds, ten(xmlHalf), ten(xml.worst[xmlName]!));

    const ms = (n: number) => Math.round(n * 10) / 10;
    const sizeLabel = smoke ? '64 KiB' : '1 MiB';
    return [
      {
        scenario: 'worst-page',
        metric: `verify the worst ${sizeLabel} page (${name})`,
        measured: ms(full.subject),
        baseline: ms(full.baseline),
        ratio: full.subject / full.baseline,
        unit: 'ms',
        target: '≤ 25 × a plain page',
        pass: full.subject / full.baseline <= 25,
        notes: 'baseline: a plain article of the same size',
      },
      {
        scenario: 'worst-page',
        metric: `… the same shape at ${sizeLabel} against half that`,
        measured: ms(scaling.subject),
        baseline: ms(scaling.baseline),
        ratio: scaling.subject / scaling.baseline,
        unit: 'ms',
        target: '≤ 3 × (linear: 2 ×, quadratic: 4 ×)',
        pass: scaling.subject / scaling.baseline <= 3,
      },
      {
        scenario: 'worst-page',
        metric: `parse the worst 64 KiB XML-RPC body (${xmlName}), ×10`,
        measured: ms(xmlFull.subject),
        baseline: ms(xmlFull.baseline),
        ratio: xmlFull.subject / xmlFull.baseline,
        unit: 'ms',
        target: 'report',
        pass: true,
        notes: 'baseline: a plain pingback.ping body of the same size',
      },
      {
        scenario: 'worst-page',
        metric: '… the same shape at 64 KiB against 32 KiB',
        measured: ms(xmlScaling.subject),
        baseline: ms(xmlScaling.baseline),
        ratio: xmlScaling.subject / xmlScaling.baseline,
        unit: 'ms',
        target: '≤ 3.5 × (linear: 2 ×, quadratic: 4 ×)',
        pass: xmlScaling.subject / xmlScaling.baseline <= 3.5,
      },
    ] satisfies Figure[];
  },
};
