import { ImportError, ManifestError, PingbackInputError, PingbackOptionError, StoreError, VERSION } from '@pingback/core';
import type { CommandSpec, Parsed } from './args.ts';
import { UsageError, helpText, parseCommand } from './args.ts';
import { discover, discoverSpec } from './commands/discover.ts';
import { importSpec, runImport } from './commands/import.ts';
import { migrateStore, migrateStoreSpec } from './commands/migrate-store.ts';
import {
  allow,
  allowSpec,
  approve,
  approveSpec,
  block,
  blockSpec,
  deleteSpec,
  hosts,
  hostsSpec,
  list,
  listSpec,
  reject,
  rejectSpec,
  remove,
} from './commands/moderate.ts';
import { ping, pingSpec } from './commands/ping.ts';
import { send, sendSpec } from './commands/send.ts';
import { serve, serveSpec } from './commands/serve.ts';
import { webmention, webmentionSpec } from './commands/webmention.ts';
import type { Io } from './io.ts';
import { Exit } from './io.ts';
import { closest } from './suggest.ts';

interface Command {
  spec: CommandSpec;
  run(parsed: Parsed, io: Io): Promise<number>;
}

export const COMMANDS: Command[] = [
  { spec: discoverSpec, run: discover },
  { spec: pingSpec, run: ping },
  { spec: webmentionSpec, run: webmention },
  { spec: serveSpec, run: serve },
  { spec: sendSpec, run: send },
  { spec: listSpec, run: list },
  { spec: approveSpec, run: approve },
  { spec: rejectSpec, run: reject },
  { spec: deleteSpec, run: remove },
  { spec: blockSpec, run: block },
  { spec: allowSpec, run: allow },
  { spec: hostsSpec, run: hosts },
  { spec: migrateStoreSpec, run: migrateStore },
  { spec: importSpec, run: runImport },
];

function overview(): string {
  const lines = [
    `pingback ${VERSION}: Pingback 1.0 and Webmention from the command line.`,
    '',
    'Usage: pingback <command> [arguments] [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(14)} ${c.spec.summary}`),
    '',
    'Run `pingback <command> --help` for its arguments and flags.',
  ];
  return `${lines.join('\n')}\n`;
}

/** Runs the command line `argv` (without node and script) and returns the exit status. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(overview());
    return name === undefined ? Exit.ERROR : Exit.OK;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${VERSION}\n`);
    return Exit.OK;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    const meant = closest(
      name,
      COMMANDS.map((c) => c.spec.name),
    );
    io.stderr.write(`pingback: unknown command "${name}"${meant ? `; did you mean ${meant}?` : ''}\n\n${overview()}`);
    return Exit.ERROR;
  }
  try {
    const parsed = parseCommand(command.spec, rest);
    if (parsed.help) {
      io.stdout.write(helpText(command.spec));
      return Exit.OK;
    }
    return await command.run(parsed, io);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof PingbackInputError ||
      error instanceof PingbackOptionError ||
      error instanceof ManifestError ||
      error instanceof ImportError
    ) {
      io.stderr.write(`pingback ${name}: ${error.message}\nRun \`pingback ${name} --help\` for usage.\n`);
      return Exit.ERROR;
    }
    // The store failed (a database down, a folder unwritable): what happened, not a stack.
    if (error instanceof StoreError) {
      io.stderr.write(`pingback ${name}: the store failed: ${error.message}\n`);
      return Exit.ERROR;
    }
    throw error;
  }
}
