// pnpm check:packages: packs every package as a release would (`pnpm pack`: prepack, files, workspace:
// ranges rewritten) and checks each tarball with publint and attw. Exits 1 on any problem.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { packPackages } from '../test/support/pack.ts';
import { checkTarball } from './package-checks.ts';

const PACKAGES = ['core', 'postgres', 'netlify', 'cli', 'astro', 'eleventy'];

const dir = mkdtempSync(join(tmpdir(), 'pingback-check-'));
try {
  const tarballs = packPackages(PACKAGES, dir);
  let failed = 0;
  for (const check of await Promise.all(Object.values(tarballs).map(checkTarball))) {
    const name = basename(check.tarball);
    if (check.problems.length) failed++;
    console.log(`${check.problems.length ? '✗' : '✓'} ${name}${check.problems.length ? '' : ': publint and attw found nothing'}`);
    for (const line of [...check.problems, ...check.suggestions]) console.log(`  ${line.replaceAll('\n', '\n  ')}`);
  }
  if (failed) {
    console.log(`${failed} of ${PACKAGES.length} packages would not publish clean`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
