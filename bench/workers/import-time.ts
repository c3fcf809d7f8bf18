// A child process of `pnpm bench function` and the site builds: imports one module (or several, one after
// the other: an entry and what a request then loads) in a fresh process, as a cold Function instance or
// a build's config does, and reports how long the imports took, the heap they left, the process's peak
// resident memory, and with IMPORT_FILES=1 how many files of how many bytes were loaded for them (the
// counting hook costs a little time, so the timed runs go without it).
import { registerHooks } from 'node:module';
import { peakRss } from './peak-rss.ts';

const loaded = { files: 0, bytes: 0 };
if (process.env.IMPORT_FILES === '1') {
  registerHooks({
    load(url, context, next) {
      const result = next(url, context);
      if (!url.startsWith('node:')) {
        loaded.files++;
        loaded.bytes += typeof result.source === 'string' ? Buffer.byteLength(result.source) : (result.source?.byteLength ?? 0);
      }
      return result;
    },
  });
}
const started = performance.now();
for (const module of process.argv.slice(2)) await import(module);
const ms = performance.now() - started;
process.send!({ ms, heap: process.memoryUsage().heapUsed, maxRss: peakRss(), ...loaded });
