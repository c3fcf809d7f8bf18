import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

export interface BuildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The integration's log lines, without timestamp and label. */
  lines: string[];
}

const TOOLS = {
  astro: { bin: 'node_modules/astro/bin/astro.mjs', args: ['build'], label: '[@pingback/astro]' },
  eleventy: { bin: 'node_modules/@11ty/eleventy/cmd.cjs', args: [], label: '[@pingback/eleventy]' },
} as const;

function spawnTool(tool: keyof typeof TOOLS, fixture: string, args: string[], env: Record<string, string | undefined>): ChildProcess {
  const t = TOOLS[tool];
  return spawn(process.execPath, [join(fixture, t.bin), ...t.args, ...args], {
    cwd: fixture,
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NETLIFY: undefined, FORCE_COLOR: '0', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function linesOf(tool: keyof typeof TOOLS, text: string): string[] {
  const label = TOOLS[tool].label;
  // CI=true makes some tools colour their output whatever NO_COLOR says.
  return stripVTControlCharacters(text)
    .split('\n')
    .filter((l) => l.includes(label))
    .map((l) => l.slice(l.indexOf(label) + label.length).trim());
}

/** A real build of a fixture with its own copy of the tool, in its own process, as a user runs it. */
export function siteBuild(tool: keyof typeof TOOLS, fixture: string, env: Record<string, string | undefined> = {}, args: string[] = []): Promise<BuildResult> {
  return new Promise((resolve) => {
    const child = spawnTool(tool, fixture, args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr, lines: linesOf(tool, `${stdout}\n${stderr}`) }));
  });
}

/** Starts a long-running tool (a watch or a dev server), resolves once `ready` shows in its output, then stops it. */
export function runUntil(
  tool: keyof typeof TOOLS,
  fixture: string,
  args: string[],
  ready: RegExp,
  env: Record<string, string | undefined> = {},
): Promise<BuildResult> {
  return new Promise((resolve, reject) => {
    const child = spawnTool(tool, fixture, args, env);
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`never saw ${ready} in:\n${out}`));
    }, 60_000);
    const onData = (c: Buffer) => {
      out += c;
      if (ready.test(out)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', (code) => resolve({ code, stdout: out, stderr: '', lines: linesOf(tool, out) }));
  });
}

/** `siteBuild('astro', …)`. */
export const astroBuild = (fixture: string, env: Record<string, string | undefined> = {}) => siteBuild('astro', fixture, env);
