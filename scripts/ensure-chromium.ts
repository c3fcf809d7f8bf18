// Part of `pnpm test`: the end-to-end tests open pages in Debian's Chromium (a test tool's own browser
// download can't work on this machine kind). Installs it when it is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  const root = process.getuid?.() === 0;
  const apt = (args: string[]) => {
    const cmd = root ? 'apt-get' : 'sudo';
    const result = spawnSync(cmd, root ? args : ['apt-get', ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return result.status === 0;
  };
  console.log(`Chromium is not at ${CHROMIUM}; installing Debian's package for the browser tests…`);
  if (!apt(['update', '-qq']) || !apt(['install', '-y', '-qq', '--no-install-recommends', 'chromium'])) {
    console.error('Could not install Chromium. Install it with: sudo apt-get install -y --no-install-recommends chromium');
    process.exit(1);
  }
}
