// A child process of `pnpm bench function` and the site builds: imports one module in a fresh process, as
// a cold Function instance or a build's config does, and reports how long the import took, the heap it
// left and the process's peak resident memory.
const started = performance.now();
await import(process.argv[2]!);
const ms = performance.now() - started;
process.send!({ ms, heap: process.memoryUsage().heapUsed, maxRss: process.resourceUsage().maxRSS * 1024 });
