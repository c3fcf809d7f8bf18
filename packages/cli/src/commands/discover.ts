import { discoverEndpoint } from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { CLIENT_FLAGS, clientOptions } from '../client-flags.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';

export const discoverSpec: CommandSpec = {
  name: 'discover',
  summary: "Find a page's Pingback endpoint as Pingback 1.0 §2.3 says: the X-Pingback header, else the <link rel=\"pingback\"> element.",
  positionals: [{ name: 'url', description: 'The page (a potential ping target).' }],
  flags: {
    json: { type: 'boolean', description: 'Print {"endpoint": string|null, "via": "header"|"link"|null}.' },
    ...CLIENT_FLAGS,
  },
  notes: ['Exit status: 0 endpoint found, 1 none advertised, 2 error (bad arguments, page unreachable).'],
};

export async function discover(parsed: Parsed, io: Io): Promise<number> {
  const [url] = parsed.positionals as [string];
  const json = parsed.flags.json === true;
  try {
    const found = await discoverEndpoint(url, clientOptions(parsed.flags));
    if (json) io.stdout.write(`${JSON.stringify({ endpoint: found.endpoint, via: found.via })}\n`);
    else if (found.endpoint) io.stdout.write(`${found.endpoint}\n  via ${found.reason}\n`);
    else io.stdout.write(`no endpoint: ${found.reason}\n`);
    return found.endpoint ? Exit.OK : Exit.NEGATIVE;
  } catch (error) {
    const message = (error as Error).message;
    if (json) io.stdout.write(`${JSON.stringify({ endpoint: null, via: null, error: message })}\n`);
    io.stderr.write(`pingback discover: ${message}\n`);
    return Exit.ERROR;
  }
}
