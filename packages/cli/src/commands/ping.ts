import type { PingOptions } from '@pingback/core';
import { sendPingback } from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { CLIENT_FLAGS, SOURCE_AND_TARGET, clientOptions } from '../client-flags.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';

export const pingSpec: CommandSpec = {
  name: 'ping',
  summary: "Send pingback.ping(source, target): discover the target's endpoint (unless --endpoint is given) and call it.",
  positionals: SOURCE_AND_TARGET,
  flags: {
    endpoint: { type: 'string', value: 'URL', description: "Call this XML-RPC endpoint instead of discovering the target's." },
    json: {
      type: 'boolean',
      description: 'Print {"status", "endpoint", "faultCode"?, "message"}; status is registered, already-registered, refused, retryable or no-endpoint.',
    },
    ...CLIENT_FLAGS,
  },
  notes: ['Exit status: 0 registered or already registered, 1 any other outcome, 2 bad arguments.'],
};

export async function ping(parsed: Parsed, io: Io): Promise<number> {
  const [source, target] = parsed.positionals as [string, string];
  const options: PingOptions = clientOptions(parsed.flags);
  if (typeof parsed.flags.endpoint === 'string') options.endpoint = parsed.flags.endpoint;
  const result = await sendPingback(source, target, options);
  if (parsed.flags.json === true) {
    const out: Record<string, unknown> = { status: result.status, endpoint: result.endpoint };
    if (result.faultCode !== undefined) out.faultCode = result.faultCode;
    out.message = result.message;
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    const fault = result.faultCode !== undefined ? ` (fault ${result.faultCode})` : '';
    io.stdout.write(`${result.status}${fault}: ${result.message}\n`);
    if (result.endpoint) io.stdout.write(`  endpoint ${result.endpoint}${result.via ? ` (${result.via})` : ''}\n`);
  }
  return result.status === 'registered' || result.status === 'already-registered' ? Exit.OK : Exit.NEGATIVE;
}
