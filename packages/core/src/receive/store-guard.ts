import { StoreError } from '../store/store.ts';

/**
 * Errors that mean our own code (or a store's) is wrong rather than the store being unavailable: they
 * stay internal errors (fault 0, logged with their stack) so a bug is not mistaken for an outage.
 */
const BUG_ERRORS = [TypeError, ReferenceError, SyntaxError, RangeError] as const;

function asStoreError(what: string, error: unknown): unknown {
  if (error instanceof StoreError || BUG_ERRORS.some((type) => error instanceof type)) return error;
  return new StoreError(`${what}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/**
 * Runs one store call on the request path with a deadline. Any store, a custom one included, may throw
 * what it likes or never answer; the caller gets a `StoreError` (answered as fault 50) either way instead
 * of a generic fault or a request that hangs. A call cut off by the deadline may still complete later:
 * an insert that lands after it is answered 48 when the sender retries.
 */
export async function guardStoreCall<T>(what: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreError(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(call), deadline]);
  } catch (error) {
    throw asStoreError(what, error);
  } finally {
    clearTimeout(timer);
  }
}
