#!/usr/bin/env node
// Plain JavaScript on purpose: this file must exist before the TypeScript is built (pnpm links it at
// install time) and must fail politely on a Node too old to load undici.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `pingback: Node.js >= 22.19 is required (this is ${process.version}).\n` +
      'Install a newer Node, or run it through a project that has the `node` package as a dependency.\n',
  );
  process.exit(2);
}
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
