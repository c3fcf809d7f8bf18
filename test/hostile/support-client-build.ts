import { mkdir, mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The Eleventy fixture's dependencies are the installed copies a user's site would have. */
const FIXTURE_MODULES = join(REPO, 'packages/eleventy/test/fixtures/blog/node_modules');

export interface PostSpec {
  slug: string;
  title: string;
  targets: string[];
}

/**
 * Writes a throwaway Eleventy site into a temporary folder: a layout, one Markdown post per spec linking
 * to its targets inside an article, and a config that sends at the end of the build. node_modules is a
 * real folder holding links to the installed Eleventy and plugin, so whatever the build caches stays in
 * the temporary folder and never lands in the fixture another test builds.
 */
export async function writeHostileSite(site: string, posts: PostSpec[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pingback-hostile-build-'));
  await mkdir(join(dir, 'node_modules/@11ty'), { recursive: true });
  await mkdir(join(dir, 'node_modules/@pingback'), { recursive: true });
  await symlink(await realpath(join(FIXTURE_MODULES, '@11ty/eleventy')), join(dir, 'node_modules/@11ty/eleventy'), 'dir');
  await symlink(await realpath(join(FIXTURE_MODULES, '@pingback/eleventy')), join(dir, 'node_modules/@pingback/eleventy'), 'dir');
  await mkdir(join(dir, 'src/_includes'), { recursive: true });
  await mkdir(join(dir, 'src/posts'), { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'hostile-site', private: true, type: 'module' }));
  // The site is on loopback: a build sends from it only when told it may.
  const options = { site, send: 'build', dryRun: false, directories: [], verbose: true, readFrom: 'store', allowPrivateNetwork: true };
  await writeFile(
    join(dir, 'eleventy.config.js'),
    `import pingback from '@pingback/eleventy';\n` +
      `export default function (eleventyConfig) {\n  eleventyConfig.addPlugin(pingback, ${JSON.stringify(options)});\n}\n` +
      `export const config = { dir: { input: 'src', output: '_site' } };\n`,
  );
  await writeFile(
    join(dir, 'src/_includes/post.njk'),
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>\n' +
      '<body><article class="h-entry"><h1>{{ title }}</h1><div class="e-content">{{ content | safe }}</div></article></body></html>\n',
  );
  await writeFile(join(dir, 'src/index.md'), '---\ntitle: Home\n---\nA blog that links to rude servers.\n');
  for (const post of posts) {
    const links = post.targets.map((t, i) => `- [link ${i + 1}](${t})`).join('\n');
    await writeFile(join(dir, `src/posts/${post.slug}.md`), `---\nlayout: post.njk\ntitle: ${post.title}\n---\nThese pages misbehave:\n\n${links}\n`);
  }
  return dir;
}
