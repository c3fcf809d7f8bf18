// Part of `pnpm test`: the PostgreSQL store's tests start real servers of their own from Debian's
// `postgresql` package (initdb and postgres, in temporary data directories). Installs it when it is missing.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackage } from './debian-package.ts';

const ROOT = '/usr/lib/postgresql';

ensureDebianPackage({
  name: 'PostgreSQL',
  package: 'postgresql',
  installed: () =>
    existsSync(ROOT) && readdirSync(ROOT).some((v) => existsSync(join(ROOT, v, 'bin', 'initdb')) && existsSync(join(ROOT, v, 'bin', 'postgres'))),
  purpose: 'for the database tests',
  missing: `PostgreSQL is not under ${ROOT}`,
});
