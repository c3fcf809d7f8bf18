// Part of `pnpm test`: the PostgreSQL store's tests start real servers of their own from Debian's
// `postgresql` package (initdb and postgres, in temporary data directories). Installs it when it is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/usr/lib/postgresql';
const installed = () =>
  existsSync(ROOT) && readdirSync(ROOT).some((v) => existsSync(join(ROOT, v, 'bin', 'initdb')) && existsSync(join(ROOT, v, 'bin', 'postgres')));

if (!installed()) {
  const root = process.getuid?.() === 0;
  const apt = (args: string[]) => {
    const cmd = root ? 'apt-get' : 'sudo';
    const result = spawnSync(cmd, root ? args : ['apt-get', ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return result.status === 0;
  };
  console.log(`PostgreSQL is not under ${ROOT}; installing Debian's package for the database tests…`);
  if (!apt(['update', '-qq']) || !apt(['install', '-y', '-qq', '--no-install-recommends', 'postgresql']) || !installed()) {
    console.error('Could not install PostgreSQL. Install it with: sudo apt-get install -y --no-install-recommends postgresql');
    process.exit(1);
  }
}
