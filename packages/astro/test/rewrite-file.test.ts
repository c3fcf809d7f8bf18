import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteFile, writeInsertion } from '../src/rewrite-file.ts';

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

describe('writeInsertion', () => {
  const tags = '<link rel="pingback" href="https://blog.example/xmlrpc"><link rel="webmention" href="https://blog.example/wm?ü=1">';

  it('inserts at a character offset behind multi-byte characters, leaving the rest byte for byte', async () => {
    const file = join(dir, 'insert.html');
    const page = `<!doctype html><head><title>Ünïcode ✓ 🎉</title></head><body>${'ä✓'.repeat(40_000)}</body>`;
    await writeFile(file, page);
    const bytes = await readFile(file);
    const at = page.indexOf('</head>');
    const inserted = `${page.slice(0, at)}${tags}${page.slice(at)}`;
    writeInsertion(file, bytes, bytes.toString('utf8'), inserted, at);
    expect(await readFile(file, 'utf8')).toBe(inserted);
  });

  it('appends when the place is the end of the text', async () => {
    const file = join(dir, 'append.html');
    await writeFile(file, '<p>ü</p>');
    const bytes = await readFile(file);
    writeInsertion(file, bytes, bytes.toString('utf8'), `<p>ü</p>${tags}`, 8);
    expect(await readFile(file, 'utf8')).toBe(`<p>ü</p>${tags}`);
  });

  it('rewrites the whole page from its text when the bytes before the place are not valid UTF-8', async () => {
    const file = join(dir, 'latin1.html');
    // "é" in Latin-1 is one byte that UTF-8 decoding turns into a three-byte replacement character.
    const bytes = Buffer.concat([Buffer.from('<head><title>caf'), Buffer.from([0xe9]), Buffer.from('</title></head><body>x</body>')]);
    await writeFile(file, bytes);
    const text = bytes.toString('utf8');
    const at = text.indexOf('</head>');
    const inserted = `${text.slice(0, at)}${tags}${text.slice(at)}`;
    writeInsertion(file, bytes, text, inserted, at);
    expect(await readFile(file, 'utf8')).toBe(inserted);
  });

  it('fails on a file that is not there rather than creating it', () => {
    expect(() => writeInsertion(join(dir, 'gone.html'), Buffer.from('<head></head>'), '<head></head>', `<head>${tags}</head>`, 6)).toThrow(/ENOENT/);
  });
});
