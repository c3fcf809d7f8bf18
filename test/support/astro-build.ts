import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface BuildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The integration's log lines, without the timestamp and label. */
  lines: string[];
}

/** A real `astro build` of a fixture, in its own process, as a user runs it. */
export function astroBuild(fixture: string, env: Record<string, string | undefined> = {}): Promise<BuildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(fixture, 'node_modules/astro/bin/astro.mjs'), 'build'], {
      cwd: fixture,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NETLIFY: undefined, FORCE_COLOR: '0', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => {
      const lines = `${stdout}\n${stderr}`
        .split('\n')
        .filter((l) => l.includes('[@pingback/astro]'))
        .map((l) => l.replace(/^.*\[@pingback\/astro\]\s*/, ''));
      resolve({ code, stdout, stderr, lines });
    });
  });
}
