// pnpm demo [--keep]: the two-blog demo. PINGBACK_ASTRO_URL and PINGBACK_ELEVENTY_URL move the blogs.
import { runDemo } from './run.ts';

const keep = process.argv.includes('--keep');
try {
  const result = await runDemo({ keep });
  console.log(result.newPings > 0 ? `\n${result.newPings} pingbacks sent and verified in this run.` : '\nThis run sent nothing new.');
  if (keep) {
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await result.stop();
  }
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
