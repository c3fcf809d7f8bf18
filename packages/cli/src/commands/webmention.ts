import type { WebmentionOptions } from '@pingback/core';
import { sendWebmention } from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { CLIENT_FLAGS, SOURCE_AND_TARGET, clientOptions } from '../client-flags.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';

const { lenient: _lenient, ...WEBMENTION_CLIENT_FLAGS } = CLIENT_FLAGS;

export const webmentionSpec: CommandSpec = {
  name: 'webmention',
  summary:
    'Send one Webmention: discover the target\'s endpoint (Link header, else the first <link> or <a> with rel="webmention") and post source and target to it.',
  positionals: SOURCE_AND_TARGET,
  flags: {
    endpoint: { type: 'string', value: 'URL', description: "Post to this endpoint instead of discovering the target's." },
    json: {
      type: 'boolean',
      description: 'Print {"status", "endpoint", "httpStatus", "location"?, "message"}; status is registered, refused, retryable or no-endpoint.',
    },
    'allow-private-network': {
      type: 'boolean',
      description: 'Contact a target or endpoint on a loopback, private or reserved address (refused otherwise): for local tests only.',
    },
    ...WEBMENTION_CLIENT_FLAGS,
  },
  notes: [
    'A target, a redirect or an endpoint on a loopback, private or reserved address is never contacted (the row says so) unless --allow-private-network.',
    'Exit status: 0 accepted (any 2xx), 1 any other outcome, 2 bad arguments.',
  ],
};

export async function webmention(parsed: Parsed, io: Io): Promise<number> {
  const [source, target] = parsed.positionals as [string, string];
  const options: WebmentionOptions = clientOptions(parsed.flags);
  if (typeof parsed.flags.endpoint === 'string') options.endpoint = parsed.flags.endpoint;
  if (parsed.flags['allow-private-network'] === true) options.allowPrivateNetwork = true;
  const result = await sendWebmention(source, target, options);
  if (parsed.flags.json === true) {
    const out: Record<string, unknown> = { status: result.status, endpoint: result.endpoint, httpStatus: result.httpStatus ?? null };
    if (result.location !== undefined) out.location = result.location;
    out.message = result.message;
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    io.stdout.write(`${result.status}: ${result.message}\n`);
    if (result.endpoint)
      io.stdout.write(
        `  endpoint ${result.endpoint}${result.via ? ` (${result.via === 'given' ? 'given' : result.via === 'header' ? 'Link header' : `<${result.via}> element`})` : ''}\n`,
      );
    if (result.location) io.stdout.write(`  status page ${result.location}\n`);
  }
  return result.status === 'registered' ? Exit.OK : Exit.NEGATIVE;
}
