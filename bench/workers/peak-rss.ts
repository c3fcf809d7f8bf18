import { readFileSync } from 'node:fs';

/**
 * This process's peak resident memory, in bytes. On Linux, from the address space's own high-water mark
 * (`VmHWM`): `getrusage`'s `maxrss` survives `exec`, so a child forked from a bench process already
 * holding 126 MiB reports at least that much whatever it loads itself.
 */
export function peakRss(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux: the rusage figure, with its caveat.
  }
  return process.resourceUsage().maxRSS * 1024;
}
