import { parseArgs } from 'node:util';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** May be given more than once. */
  multiple?: boolean;
  /** Placeholder shown in help, e.g. "URL". */
  value?: string;
  description: string;
  short?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  positionals: { name: string; description: string }[];
  flags: Record<string, FlagSpec>;
  /** Extra paragraphs for --help: exit codes, examples. */
  notes?: string[];
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function helpText(spec: CommandSpec): string {
  const args = spec.positionals.map((p) => `<${p.name}>`).join(' ');
  const lines = [`Usage: pingback ${spec.name}${args ? ` ${args}` : ''} [flags]`, '', spec.summary, ''];
  if (spec.positionals.length) {
    lines.push('Arguments:');
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(24)} ${p.description}`);
    lines.push('');
  }
  lines.push('Flags:');
  const all: [string, FlagSpec][] = [...Object.entries(spec.flags), ['help', { type: 'boolean', description: 'Show this help.', short: 'h' }]];
  for (const [name, flag] of all) {
    const left = `${flag.short ? `-${flag.short}, ` : '    '}--${name}${flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : ''}`;
    lines.push(`  ${left.padEnd(24)} ${flag.description}`);
  }
  for (const note of spec.notes ?? []) lines.push('', note);
  return `${lines.join('\n')}\n`;
}

export interface Parsed {
  help: boolean;
  positionals: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
}

export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, flag] of Object.entries(spec.flags)) {
    options[name] = { type: flag.type, ...(flag.short ? { short: flag.short } : {}), ...(flag.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const flags = parsed.values as Parsed['flags'];
  if (flags.help) return { help: true, positionals: parsed.positionals, flags };
  if (parsed.positionals.length !== spec.positionals.length) {
    const expected = spec.positionals.map((p) => `<${p.name}>`).join(' ');
    throw new UsageError(`expected ${expected || 'no arguments'}, got ${parsed.positionals.length} argument(s)`);
  }
  return { help: false, positionals: parsed.positionals, flags };
}

/** A non-negative integer flag, e.g. --timeout 5000. */
export function intFlag(flags: Parsed['flags'], name: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** A comma-separated list flag, e.g. --allow-port 8080,8443; empty when absent. */
export function listFlag(flags: Parsed['flags'], name: string): string[] {
  const raw = flags[name];
  if (raw === undefined) return [];
  if (typeof raw !== 'string') throw new UsageError(`--${name} takes a comma-separated list`);
  return raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
}
