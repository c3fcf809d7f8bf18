import { parseArgs } from 'node:util';
import { closest } from './suggest.ts';

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

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/**
 * Node's parser reports a mistyped flag in its own words ("Unknown option '--prot'. To specify a
 * positional argument starting with a '-', …"); this says it in ours and names the flag that was meant.
 */
function checkFlags(spec: CommandSpec, options: ParseOptions, argv: string[]): void {
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const names = Object.keys(options);
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (!option) {
      // `-port` is read as the short flags -p -o -r -t: name what was typed, not its first letter.
      const typed = argv[token.index]!.split('=')[0]!;
      const meant = closest(typed.replace(/^-+/, ''), names);
      if (meant) throw new UsageError(`unknown flag ${typed}; did you mean --${meant}?`);
      const known = names.filter((n) => n !== 'help').map((n) => `--${n}`);
      throw new UsageError(`unknown flag ${typed}; pingback ${spec.name} takes ${known.length ? known.join(', ') : 'no flags but --help'}`);
    }
    if (option.type === 'string' && token.value === undefined) {
      throw new UsageError(`${token.rawName} needs a value: ${token.rawName} ${spec.flags[token.name]?.value ?? 'VALUE'}`);
    }
    if (option.type === 'boolean' && token.inlineValue) {
      throw new UsageError(`${token.rawName} takes no value; write just ${token.rawName}`);
    }
  }
}

export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  const options: ParseOptions = { help: { type: 'boolean', short: 'h' } };
  for (const [name, flag] of Object.entries(spec.flags)) {
    options[name] = { type: flag.type, ...(flag.short ? { short: flag.short } : {}), ...(flag.multiple ? { multiple: true } : {}) };
  }
  checkFlags(spec, options, argv);
  let parsed: ReturnType<typeof parseArgs>;
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
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
