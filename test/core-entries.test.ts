import { describe, expect, it } from 'vitest';

/*
 * `@pingback/core` ships bundled (packages/core/scripts/bundle.ts): each entry is one file, and what
 * several entries share is a chunk of its own. These import the built package by its entries, as the
 * adapters and users do, and check that a name two entries export is one value: an error thrown through
 * one entry is `instanceof` the class another entry exports.
 */

const ENTRIES = ['@pingback/core', '@pingback/core/build', '@pingback/core/receive', '@pingback/core/node', '@pingback/core/render'];

/** The build entry's own wrappers, which load the main entry's functions of the same name when called. */
const WRAPPERS = new Set(['readForBuild', 'finishBuild']);

describe("@pingback/core's entries, as built", () => {
  it('share one value for every name more than one of them exports', async () => {
    const modules = await Promise.all(ENTRIES.map(async (name) => [name, (await import(name)) as Record<string, unknown>] as const));
    const byName = new Map<string, { entry: string; value: unknown }[]>();
    for (const [entry, module] of modules) {
      for (const [name, value] of Object.entries(module)) byName.set(name, [...(byName.get(name) ?? []), { entry, value }]);
    }
    const shared = [...byName].filter(([, list]) => list.length > 1);
    // The classes an adapter catches or a store throws are among them.
    expect(shared.map(([name]) => name)).toEqual(expect.arrayContaining(['PingbackOptionError', 'StoreError', 'canonicalKey', 'openDatabaseStore']));
    const different = shared.filter(([name, list]) => !WRAPPERS.has(name) && list.some((e) => e.value !== list[0]!.value)).map(([name]) => name);
    expect(different).toEqual([]);
  });

  it('an option error from the build entry is the class the main entry exports', async () => {
    const core = await import('@pingback/core');
    const build = await import('@pingback/core/build');
    let thrown: unknown;
    try {
      build.resolveIntegrationOptions({ send: 'sometimes' as never }, { site: 'https://blog.example/', siteHint: '', dryRunByDefault: true, onNetlify: false });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(core.PingbackOptionError);
    expect((thrown as Error).message).toContain('send');
  });
});
