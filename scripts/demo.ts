/**
 * The main job until the two-blog demo exists: a real Pingback exchange on loopback.
 * - "their blog" advertises a Pingback server (Python's standard xmlrpc.server, an independent peer);
 * - "my blog" serves a post that links to their post and to other places;
 * - the client scans my post, picks the links worth pinging, discovers endpoints and pings;
 * - a second run with the same ledger sends nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FileLedger, scanPage, selectTargets, sendBatch, siteMatcher } from '@pingback/core';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close: () => void }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

const peer = spawn('python3', [new URL('../test/support/peers/pingback_peer.py', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
const received: string[] = [];
const endpoint = await new Promise<string>((resolve) => {
  createInterface({ input: peer.stdout }).on('line', (line) => {
    const record = JSON.parse(line);
    if (record.port) resolve(`http://127.0.0.1:${record.port}/xmlrpc`);
    else received.push(`${record.method}(${record.params.join(', ')})`);
  });
});

const theirs = await listen((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<!doctype html><html><head><title>Their post</title><link rel="pingback" href="${endpoint}"></head><body><article><h1>${req.url}</h1></article></body></html>`);
});
const post = `<!doctype html><html><head><title>My post</title></head><body>
  <nav><a href="https://twitter.example/me">me elsewhere</a></nav>
  <article class="h-entry"><div class="e-content">
    <p>I liked <a href="${theirs.url}/posts/their-post/">their post</a> and <a href="${theirs.url}/posts/another/#part-2">another</a>.</p>
    <!-- <a href="${theirs.url}/posts/draft/">not a real link</a> -->
    <p>See also <a href="/posts/older/">my older post</a> and <a href="mailto:me@example.com">mail me</a>.</p>
  </div></article></body></html>`;
const mine = await listen((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(post);
});
const source = `${mine.url}/posts/hello/`;

const scan = scanPage(post);
const targets = selectTargets(scan.links, { pageUrl: source, site: siteMatcher(mine.url) });
console.log(`My post ${source}`);
console.log(`  content found by "${scan.contentSelector}", ${scan.links.length} links, ${targets.length} worth pinging:`);
for (const t of targets) console.log(`    ${t}`);

const dir = mkdtempSync(join(tmpdir(), 'pingback-demo-'));
const ledgerPath = join(dir, 'ledger.json');
try {
  for (const run of [1, 2]) {
    const report = await sendBatch(
      targets.map((target) => ({ source, target })),
      { site: mine.url, ledger: await FileLedger.open(ledgerPath) },
    );
    console.log(`\nRun ${run}: ${Object.entries(report.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ') || 'nothing to do'} (${report.ms} ms)`);
    for (const row of report.rows) console.log(`  ${row.status.padEnd(18)} ${row.target}\n  ${''.padEnd(18)} ${row.message}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  console.log(`\nTheir Pingback server (Python xmlrpc.server) received:`);
  for (const call of received) console.log(`  ${call}`);
  console.log(`\nThe second run sent ${received.length === targets.length ? 'nothing new' : 'something: this is a bug'}.`);
  if (received.length !== targets.length) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
  peer.kill();
  theirs.close();
  mine.close();
}
