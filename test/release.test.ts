// What `pnpm version-packages` does at release time, on a scratch copy of the workspace's manifests: the
// pending changesets become one version for all six packages and a CHANGELOG.md each, and src/version.ts follows.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, globSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { ROOT } from './support/pack.ts';

const run = promisify(execFile);
const PACKAGES = ['core', 'postgres', 'netlify', 'cli', 'astro', 'eleventy'];
const BUMPS = ['patch', 'minor', 'major'] as const;

let dir: string | undefined;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** The version changesets gives `version` for `bump` (below 1.0.0 a minor is the "breaking" digit, but still a minor). */
function next(version: string, bump: (typeof BUMPS)[number]): string {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

it('pnpm version-packages turns the pending changesets into one version and a CHANGELOG.md per package', async () => {
  dir = mkdtempSync(join(tmpdir(), 'pingback-release-'));
  // Every workspace package's manifest (changesets walks the whole dependency graph), the version files,
  // the changesets and their config; the tools from the workspace's node_modules.
  const patterns = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8')
    .match(/^ {2}- (\S+)$/gm)!
    .map((line) => line.slice(4));
  const manifests = ['package.json', 'pnpm-workspace.yaml', ...patterns.flatMap((p) => globSync(`${p}/package.json`, { cwd: ROOT }))];
  const versionFiles = PACKAGES.map((p) => `packages/${p}/src/version.ts`).filter((f) => existsSync(join(ROOT, f)));
  expect(versionFiles.length).toBeGreaterThan(0);
  for (const file of [...manifests, ...versionFiles]) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  cpSync(join(ROOT, '.changeset'), join(dir, '.changeset'), { recursive: true });
  mkdirSync(join(dir, 'scripts'));
  cpSync(join(ROOT, 'scripts/sync-versions.ts'), join(dir, 'scripts/sync-versions.ts'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');

  // Right after a release nothing is pending; then a patch of core stands in, so the steps still run.
  const pending = readdirSync(join(dir, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  if (pending.length === 0) writeFileSync(join(dir, '.changeset/stand-in.md'), "---\n'@pingback/core': patch\n---\n\nA stand-in change.\n");
  const bumps = readdirSync(join(dir, '.changeset'))
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .flatMap((f) =>
      [...readFileSync(join(dir!, '.changeset', f), 'utf8').matchAll(/^'@pingback\/[a-z]+': (patch|minor|major)$/gm)].map((m) => BUMPS.indexOf(m[1] as never)),
    );
  const current = readJson(join(ROOT, 'packages/core/package.json')).version as string;
  const expected = next(current, BUMPS[Math.max(...bumps)]!);

  // `pnpm version-packages`, step by step (pnpm itself is not needed to run two commands).
  await run(process.execPath, [join(ROOT, 'node_modules/@changesets/cli/bin.js'), 'version'], { cwd: dir, env: { ...process.env, CI: 'true' } });
  await run(process.execPath, [join(dir, 'scripts/sync-versions.ts'), dir]);

  for (const name of PACKAGES) {
    const pkg = readJson(join(dir, 'packages', name, 'package.json'));
    expect(pkg.version, name).toBe(expected);
    const changelog = readFileSync(join(dir, 'packages', name, 'CHANGELOG.md'), 'utf8');
    expect(changelog.split('\n').slice(0, 3), name).toEqual([`# @pingback/${name}`, '', `## ${expected}`]);
    if (versionFiles.includes(`packages/${name}/src/version.ts`)) {
      expect(readFileSync(join(dir, 'packages', name, 'src/version.ts'), 'utf8'), name).toContain(`export const VERSION = '${expected}';`);
    }
    // Internal ranges stay workspace: ones; `pnpm publish` writes the real version into the tarball.
    const internal = Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies }).filter(([dep]) => dep.startsWith('@pingback/'));
    expect(
      internal.filter(([, range]) => !String(range).startsWith('workspace:')),
      name,
    ).toEqual([]);
  }
  // The changesets are spent, and nothing private (examples, fixtures, bench sites) was versioned.
  expect(readdirSync(join(dir, '.changeset')).sort()).toEqual(['README.md', 'config.json']);
  for (const file of manifests.filter((f) => !PACKAGES.some((p) => f === `packages/${p}/package.json`))) {
    expect(readFileSync(join(dir, file), 'utf8'), file).toBe(readFileSync(join(ROOT, file), 'utf8'));
  }
  expect(existsSync(join(dir, 'examples/astro-blog/CHANGELOG.md'))).toBe(false);
}, 60_000);
