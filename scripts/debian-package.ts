// What scripts/ensure-*.ts share: installing one of Debian's packages the tests need, as root or through sudo.
import { spawnSync } from 'node:child_process';

export interface DebianPackage {
  /** What the messages call it: "PostgreSQL". */
  name: string;
  /** Debian's package: "postgresql". */
  package: string;
  /** Whether it is there already (checked again after installing). */
  installed: () => boolean;
  /** Why it is being installed, after "installing Debian's package": "for the database tests". */
  purpose: string;
  /** How its absence was seen: "PostgreSQL is not under /usr/lib/postgresql". */
  missing: string;
}

/** Installs the package unless it is there; exits with a message saying how to install it by hand when that fails. */
export function ensureDebianPackage(wanted: DebianPackage): void {
  if (wanted.installed()) return;
  const root = process.getuid?.() === 0;
  const apt = (args: string[]) => {
    const cmd = root ? 'apt-get' : 'sudo';
    const result = spawnSync(cmd, root ? args : ['apt-get', ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return result.status === 0;
  };
  console.log(`${wanted.missing}; installing Debian's package ${wanted.purpose}…`);
  if (!apt(['update', '-qq']) || !apt(['install', '-y', '-qq', '--no-install-recommends', wanted.package]) || !wanted.installed()) {
    console.error(`Could not install ${wanted.name}. Install it with: sudo apt-get install -y --no-install-recommends ${wanted.package}`);
    process.exit(1);
  }
}
