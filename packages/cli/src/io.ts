/** Where a command writes and what it may read from the environment; tests pass their own. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

/** Exit codes shared by every command. */
export const Exit = {
  OK: 0,
  /** The command ran but the answer is "no" (no endpoint, ping not accepted). */
  NEGATIVE: 1,
  /** Bad arguments, or the command could not run at all. */
  ERROR: 2,
} as const;
