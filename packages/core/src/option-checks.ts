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

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

/** Rejects keys the caller did not mean: a typo would otherwise be silently ignored. */
export function checkKnownKeys(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const lower = key.toLowerCase();
      const close =
        known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => distance(k.toLowerCase(), lower) <= Math.max(1, Math.floor(k.length / 4)));
      throw new PingbackOptionError(
        where ? `${where}.${key}` : key,
        'is not a known option',
        close ? `Did you mean \`${close}\`?` : `Known options: ${known.join(', ')}.`,
      );
    }
  }
}
