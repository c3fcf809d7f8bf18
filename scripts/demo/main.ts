// pnpm demo [--keep]: the two-blog demo. PINGBACK_ASTRO_URL and PINGBACK_ELEVENTY_URL move the blogs.
import { runDemo } from './run.ts';

const keep = process.argv.includes('--keep');
try {
  const result = await runDemo({ keep });
  const counts = { webmention: 0, pingback: 0 };
  for (const blog of result.blogs) {
    counts.webmention += blog.sent.webmention;
    counts.pingback += blog.sent.pingback;
  }
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  console.log(
    result.newLinkbacks > 0
      ? `\n${plural(counts.webmention, 'Webmention', 'Webmentions')} and ${plural(counts.pingback, 'pingback', 'pingbacks')} sent and verified in this run.`
      : '\nThis run sent nothing new.',
  );
  if (keep) {
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await result.stop();
  }
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
