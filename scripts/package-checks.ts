// The published packages' metadata, checked by the tools the ecosystem uses on a packed tarball: publint
// (exports, files, fields) and Are the Types Wrong (types resolve for every import a user can write).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const ATTW = require.resolve('@arethetypeswrong/cli/package.json').replace(/package\.json$/, 'dist/index.js');

export interface TarballCheck {
  tarball: string;
  /** What would stop a release: publint's errors and warnings, and any problem attw reports. */
  problems: string[];
  /** publint's suggestions, shown but not fatal. */
  suggestions: string[];
}

/**
 * One packed tarball. attw runs with the esm-only profile: every package is `"type": "module"` with
 * `exports` only and needs Node >= 22.19, so node10 resolution and `require` from CommonJS are not ways
 * in that users have (Node 22 can require these modules anyway); every other problem counts. It never asks
 * the registry for @types packages.
 */
export async function checkTarball(tarball: string): Promise<TarballCheck> {
  const problems: string[] = [];
  const suggestions: string[] = [];
  const data = await readFile(tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer },
    level: 'suggestion',
    strict: true,
  });
  for (const message of messages) {
    const text = `publint ${message.type}: ${formatMessage(message, pkg) ?? message.code}`;
    (message.type === 'suggestion' ? suggestions : problems).push(text);
  }
  const attw = await run(process.execPath, [ATTW, tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii', '--no-color', '--no-emoji'], {
    encoding: 'utf8',
  }).then(
    () => null,
    (error: { code?: number; stdout?: string; stderr?: string }) => error,
  );
  if (attw) problems.push(`attw (exit ${attw.code}):\n${attw.stdout ?? ''}${attw.stderr ?? ''}`.trim());
  return { tarball, problems, suggestions };
}
