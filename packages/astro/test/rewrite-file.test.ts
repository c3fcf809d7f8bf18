import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteFile } from '../src/rewrite-file.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pingback-rewrite-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('rewriteFile', () => {
  it('leaves exactly the new text, longer or shorter than the old, multi-byte characters included', async () => {
    const file = join(dir, 'page.html');
    const page = `<!doctype html><head><title>Ünïcode ✓</title></head><body>${'x'.repeat(70_000)}</body>`;
    await writeFile(file, page);
    const longer = page.replace('</head>', '<link rel="pingback" href="https://blog.example/xmlrpc"></head>');
    rewriteFile(file, longer);
    expect(await readFile(file, 'utf8')).toBe(longer);
    rewriteFile(file, 'short ✓');
    expect(await readFile(file, 'utf8')).toBe('short ✓');
  });

  it('fails on a file that is not there rather than creating it', async () => {
    expect(() => rewriteFile(join(dir, 'missing.html'), 'x')).toThrow(/ENOENT/);
  });
});
