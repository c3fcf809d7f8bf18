import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** pnpm as the caller ran it (`pnpm test` sets npm_execpath), else the README's `npx -y pnpm@10`. */
export function pnpmCommand(args: string[]): { file: string; args: string[] } {
  const execpath = process.env.npm_execpath;
  if (execpath && /pnpm/.test(execpath)) return { file: process.execPath, args: [execpath, ...args] };
  return { file: 'npx', args: ['-y', 'pnpm@10', ...args] };
}

export function pnpm(args: string[], cwd: string): string {
  const command = pnpmCommand(args);
  return execFileSync(command.file, command.args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Packs workspace packages with `pnpm pack` (which builds them and rewrites workspace: ranges). */
export function packPackages(names: string[], destination: string): Record<string, string> {
  mkdirSync(destination, { recursive: true });
  const tarballs: Record<string, string> = {};
  for (const name of names) {
    pnpm(['pack', '--pack-destination', destination], join(ROOT, 'packages', name));
    const file = readdirSync(destination).find((f) => f.startsWith(`pingback-${name}-`) && f.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack produced no tarball for ${name}`);
    tarballs[`@pingback/${name}`] = join(destination, file);
  }
  return tarballs;
}

/**
 * The registry this machine kind reaches lacks @11ty/recursive-copy 4.0.5/4.0.6, which @11ty/eleventy 3.1.8
 * asks for (npm installs it as the Eleventy plugin's peer); 4.0.4 behaves the same. See pnpm-workspace.yaml.
 */
const REGISTRY_OVERRIDES = { '@11ty/recursive-copy': '4.0.4' };

/**
 * A project outside the workspace with the tarballs installed by npm, the way a user installs from the
 * registry: `overrides` makes every dependent take the local tarball, never a registry copy.
 */
export function installTarballs(
  dir: string,
  tarballs: Record<string, string>,
  extra: Record<string, string> = {},
  overrides: Record<string, string> = {},
): void {
  const deps = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'outside-the-workspace',
        private: true,
        type: 'module',
        dependencies: { ...deps, ...extra },
        overrides: { ...REGISTRY_OVERRIDES, ...deps, ...overrides },
      },
      null,
      2,
    ),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}
