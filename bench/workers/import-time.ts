// A child process of `pnpm bench function`: imports one module in a fresh process, as a cold Function
// instance does, and reports how long the import took and the heap it left.
const started = performance.now();
await import(process.argv[2]!);
const ms = performance.now() - started;
process.send!({ ms, heap: process.memoryUsage().heapUsed });
