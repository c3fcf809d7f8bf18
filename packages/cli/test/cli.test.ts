import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../../test/support/http.ts';
import { html, routes, startServer } from '../../../test/support/http.ts';
import type { PythonPeer } from '../../../test/support/python.ts';
import { startPythonPeer } from '../../../test/support/python.ts';
import { parseCommand } from '../src/args.ts';
import { COMMANDS } from '../src/main.ts';

const BIN = fileURLToPath(new URL('../bin/pingback.js', import.meta.url));

function run(args: string[], node = process.execPath): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(node, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let peer: PythonPeer;
let site: TestServer;
const SOURCE = 'http://me.example/posts/hello/';

beforeAll(async () => {
  peer = await startPythonPeer();
  site = await startServer(
    routes({
      '/by-header': html('<p>x</p>', { 'X-Pingback': peer.endpoint }),
      '/by-link': html(`<html><head><link rel="pingback" href="${peer.endpoint}"></head></html>`),
      '/relative': html('<link rel="pingback" href="/xmlrpc">'),
      '/nothing': html('<p>nothing</p>'),
      '/fault-48': html('', { 'X-Pingback': peer.endpoint }),
      '/fault-33': html('', { 'X-Pingback': peer.endpoint }),
    }),
  );
});
afterAll(async () => {
  await peer.close();
  await site.close();
});

describe('pingback discover', () => {
  it('prints the endpoint found by header as JSON and exits 0', async () => {
    const out = await run(['discover', `${site.url}/by-header`, '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ endpoint: peer.endpoint, via: 'header', webmention: null });
  });

  it('says what gave the endpoint in plain output', async () => {
    const out = await run(['discover', `${site.url}/by-link`]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`^${peer.endpoint}\n  via link element\nno webmention endpoint: no Link header and no <link> or <a> with rel="webmention" in the page\n$`),
    );
  });

  it('exits 1 with a null endpoint when none is advertised', async () => {
    const out = await run(['discover', `${site.url}/nothing`, '--json']);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual({ endpoint: null, via: null, webmention: null });
    const plain = await run(['discover', `${site.url}/relative`]);
    expect(plain.stdout).toMatch(/^no endpoint: link element href is not an absolute http\(s\) URL: "\/xmlrpc"/);
  });

  it('--lenient accepts a relative href', async () => {
    const out = await run(['discover', `${site.url}/relative`, '--json', '--lenient']);
    expect(JSON.parse(out.stdout)).toEqual({ endpoint: `${site.url}/xmlrpc`, via: 'link', webmention: null });
  });

  it('exits 2 when the page cannot be read', async () => {
    const out = await run(['discover', 'http://127.0.0.1:9/', '--json', '--timeout', '2000']);
    expect(out.code).toBe(2);
    expect(JSON.parse(out.stdout)).toMatchObject({ endpoint: null, via: null, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(out.stderr).toMatch(/^pingback discover: ECONNREFUSED/);
  });
});

describe('pingback ping', () => {
  it('discovers and registers a ping with the Python peer', async () => {
    const n = peer.calls.length;
    const out = await run(['ping', SOURCE, `${site.url}/by-header`, '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ status: 'registered', endpoint: peer.endpoint, message: expect.stringMatching(/registered/) });
    await peer.waitForCalls(n + 1);
    expect(peer.calls[n]?.params).toEqual([SOURCE, `${site.url}/by-header`]);
  });

  it("maps the peer's faults: 48 exits 0, 33 exits 1, both with faultCode", async () => {
    const done = await run(['ping', SOURCE, `${site.url}/fault-48`, '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'already-registered', faultCode: 48 });
    const refused = await run(['ping', SOURCE, `${site.url}/fault-33`, '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 'refused', faultCode: 33, endpoint: peer.endpoint });
  });

  it('--endpoint skips discovery', async () => {
    const out = await run(['ping', SOURCE, 'http://target.example/fault-17', '--endpoint', peer.endpoint]);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe(`retryable (fault 17): fault 17: fault 17 requested by the test\n  endpoint ${peer.endpoint} (given)\n`);
  });

  it('reports no-endpoint and exits 1', async () => {
    const out = await run(['ping', SOURCE, `${site.url}/nothing`, '--json']);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'no-endpoint', endpoint: null });
  });
});

describe('usage', () => {
  it.each([
    [['ping', 'only-one-arg'], /expected <source> <target>, got 1 argument/],
    [['ping', 'not-a-url', 'http://t.example/'], /source must be an absolute http\(s\) URL/],
    [['discover', 'http://t.example/', '--timeout', 'soon'], /--timeout must be a whole number/],
    [
      ['discover', 'http://t.example/', '--bogus'],
      /^pingback discover: unknown flag --bogus; pingback discover takes --json, --timeout, --lenient, --site, --user-agent\n/,
    ],
    [['serve', '--prot', '5404'], /^pingback serve: unknown flag --prot; did you mean --port\?\nRun `pingback serve --help` for usage\.\n$/],
    [['serve', '-port', '5404'], /^pingback serve: unknown flag -port; did you mean --port\?\n/],
    [['serve', '--root'], /^pingback serve: --root needs a value: --root DIR\n/],
    [['list', '--json=yes'], /^pingback list: --json takes no value; write just --json\n/],
    [['serve', '--root', '.', '--site', 'https://blog.example/', '--port', '70000'], /^pingback serve: --port must be 0–65535, got 70000\n/],
    [['frobnicate'], /unknown command "frobnicate"\n/],
    [['serv', '--root', '.'], /^pingback: unknown command "serv"; did you mean serve\?\n/],
    [['serve', '--root', '.', '--site', 'https://blog.example/', '--allow-port', '80,http'], /--allow-port takes port numbers \(1–65535\), got "http"/],
    [
      ['serve', '--root', '.', '--site', 'https://blog.example/', '--allow-address', '10.0.0.0/33'],
      /option `allowAddresses` entry "10\.0\.0\.0\/33" is neither an IP address nor a CIDR range/,
    ],
  ])('%j exits 2 and says what is wrong', async (args, message) => {
    const out = await run(args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
  });

  it.each(COMMANDS.map((c) => c.spec))('--help on $name documents every flag and argument', async (spec) => {
    const out = await run([spec.name, '--help']);
    expect(out.code).toBe(0);
    for (const flag of [...Object.keys(spec.flags), 'help']) expect(out.stdout).toContain(`--${flag}`);
    for (const arg of spec.positionals) expect(out.stdout).toContain(`<${arg.name}>`);
    expect(out.stdout).toContain(spec.summary);
  });

  it.each(COMMANDS.map((c) => c.spec))('a mistyped flag of $name names the flag that was meant', (spec) => {
    for (const name of Object.keys(spec.flags)) {
      const swapped = `${name.slice(0, 1)}${name.slice(2, 3)}${name.slice(1, 2)}${name.slice(3)}`; // `port` → `prot`
      for (const typo of [swapped, name.slice(0, -1), `${name}s`, name.toUpperCase()].filter((t) => t !== name)) {
        expect(() => parseCommand(spec, [`--${typo}`]), `--${typo}`).toThrow(`unknown flag --${typo}; did you mean --${name}?`);
      }
    }
  });

  it('--help on discover and ping states the exit codes', async () => {
    for (const name of ['discover', 'ping']) expect((await run([name, '--help'])).stdout).toMatch(/Exit status: 0 /);
  });

  it('lists the commands', async () => {
    const out = await run(['--help']);
    expect(out.code).toBe(0);
    for (const c of COMMANDS) expect(out.stdout).toContain(`  ${c.spec.name.padEnd(14)} ${c.spec.summary}`);
  });

  it('refuses politely on a Node too old for it', async () => {
    const old = ['/usr/bin/node', '/bin/node'].find((p) => existsSync(p));
    expect(old, 'the system Node 20 of this machine kind').toBeDefined();
    const out = await run(['--help'], old);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/Node\.js >= 22\.19 is required \(this is v20\./);
  });
});
