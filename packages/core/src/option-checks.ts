import { PingbackOptionError } from './errors.ts';

/**
 * Checks used when options are resolved, once, at the edge of each public entry point. Every failure
 * names the option and says what to write instead.
 */
export function checkPositiveInt(option: string, value: unknown, { allowZero = false } = {}): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new PingbackOptionError(
      option,
      `must be ${allowZero ? 'a whole number, 0 or more' : 'a whole number above 0'}, got ${JSON.stringify(value)}`,
      `Set it to, e.g., ${allowZero ? 0 : 1} or more, or leave it out for the default.`,
    );
  }
  return value;
}

export function checkUrl(option: string, value: unknown): URL {
  const url = typeof value === 'string' || value instanceof URL ? URL.parse(String(value)) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new PingbackOptionError(
      option,
      `must be an absolute http(s) URL, got ${JSON.stringify(String(value)).slice(0, 200)}`,
      'Write it in full, like "https://example.com/".',
    );
  }
  return url;
}

export function checkString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new PingbackOptionError(option, `must be a non-empty string, got ${JSON.stringify(value)}`, 'Give it a value or leave it out.');
  }
  return value;
}

export function checkFunction<T>(option: string, value: unknown): T {
  if (typeof value !== 'function') {
    throw new PingbackOptionError(option, `must be a function, got ${typeof value}`, 'Pass a function or leave it out.');
  }
  return value as T;
}

/** Rejects keys the caller did not mean: a typo would otherwise be silently ignored. */
export function checkKnownKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const close = known.find((k) => k.toLowerCase() === key.toLowerCase());
      throw new PingbackOptionError(
        where ? `${where}.${key}` : key,
        'is not a known option',
        close ? `Did you mean \`${close}\`?` : `Known options: ${known.join(', ')}.`,
      );
    }
  }
}
