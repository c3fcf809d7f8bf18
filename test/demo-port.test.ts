import { spawn } from 'node:child_process';
import type { Server } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.ts';
import { ROOT } from './support/pack.ts';

// The demo on a port something else holds: one line that names the port and the variable that moves
// the blog, a non-zero exit, no stack trace, and nothing built (the check comes before the builds).
let holder: Server;
let busy: number;

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  busy = (holder.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

function demo(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/demo/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the demo on a busy port', () => {
  it.each([
    ['PINGBACK_ASTRO_URL', 'PINGBACK_ELEVENTY_URL', 'Astro example'],
    ['PINGBACK_ELEVENTY_URL', 'PINGBACK_ASTRO_URL', 'Eleventy example'],
  ])('%s on a taken port: names the port and the variable that moves it, exits 1, no stack', async (taken, other, name) => {
    const out = await demo({ [taken]: `http://127.0.0.1:${busy}/`, [other]: `http://127.0.0.1:${await freePort()}/` });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      new RegExp(
        `^demo failed: port ${busy} on 127\\.0\\.0\\.1, where the demo serves the ${name} \\(http://127\\.0\\.0\\.1:${busy}/\\), is in use\\. Stop what is using it, or move the blog with ${taken}, e\\.g\\. ${taken}=http://127\\.0\\.0\\.1:\\d+/ npx -y pnpm@10 demo\\.\\n$`,
      ),
    );
    expect(out.stderr).not.toMatch(/^\s+at /m);
    expect(out.stdout).not.toMatch(/Building/);
  });
});
