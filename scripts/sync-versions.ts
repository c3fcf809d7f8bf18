// After `changeset version`: each package's src/version.ts says the version its package.json now has. The
// literal exists so that bundlers and generated Functions need no JSON import; tests hold the two equal.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? join(import.meta.dirname, '..');
const pattern = /^export const VERSION = '[^']*';$/m;
for (const name of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', name, 'src/version.ts');
  if (!existsSync(file)) continue;
  const { version } = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { version: string };
  const text = readFileSync(file, 'utf8');
  if (!pattern.test(text)) throw new Error(`${file} has no \`export const VERSION = '…';\` line to update`);
  const updated = text.replace(pattern, `export const VERSION = '${version}';`);
  if (updated !== text) {
    writeFileSync(file, updated);
    console.log(`${name}: VERSION = '${version}'`);
  }
}
