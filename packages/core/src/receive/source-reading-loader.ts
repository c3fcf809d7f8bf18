/**
 * The source-reading modules (source-reading.ts), loaded on first use: importing them is most of what
 * importing the receiver costs (parse5 and the entity tables). The caller starts the load when it starts
 * fetching a source, so the two overlap.
 */
let loading: Promise<typeof import('./source-reading.ts')> | undefined;

export function loadSourceReading(): Promise<typeof import('./source-reading.ts')> {
  if (!loading) {
    // A failed load is tried again by the next caller rather than kept.
    loading = import('./source-reading.ts').catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    // A caller whose fetch failed never awaits it: a failed load must not become an unhandled rejection
    // there. Callers that await it still see the failure.
    loading.catch(() => {});
  }
  return loading;
}
