// Part of `pnpm test`: the end-to-end tests open pages in Debian's Chromium (a test tool's own browser
// download can't work on this machine kind). Installs it when it is missing.
import { existsSync } from 'node:fs';
import { ensureDebianPackage } from './debian-package.ts';

const CHROMIUM = '/usr/bin/chromium';

ensureDebianPackage({
  name: 'Chromium',
  package: 'chromium',
  installed: () => existsSync(CHROMIUM),
  purpose: 'for the browser tests',
  missing: `Chromium is not at ${CHROMIUM}`,
});
