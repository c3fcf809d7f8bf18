import type { ReadResult } from '@pingback/core/build';

/**
 * The integration's reader, shared with `pingbackLoader()` through the process: Astro loads the config
 * and the content config as separate module instances, so a module-level variable would not be seen.
 */
export interface PingbackRegistry {
  read(): Promise<ReadResult>;
}

const KEY = Symbol.for('@pingback/astro');

export function setRegistry(registry: PingbackRegistry): void {
  (globalThis as Record<symbol, unknown>)[KEY] = registry;
}

export function getRegistry(): PingbackRegistry | undefined {
  return (globalThis as Record<symbol, unknown>)[KEY] as PingbackRegistry | undefined;
}
