import { discoverEndpoints } from '@pingback/core';
import type { CommandSpec, Parsed } from '../args.ts';
import { CLIENT_FLAGS, clientOptions } from '../client-flags.ts';
import type { Io } from '../io.ts';
import { Exit } from '../io.ts';

export const discoverSpec: CommandSpec = {
  name: 'discover',
  summary:
    'Find a page\'s Pingback endpoint (Pingback 1.0 §2.3: the X-Pingback header, else the <link rel="pingback"> element) and its Webmention endpoint (the Link header, else the first <link> or <a> with rel="webmention"), with one GET.',
  positionals: [{ name: 'url', description: 'The page (a potential ping target).' }],
  flags: {
    json: {
      type: 'boolean',
      description:
        'Print {"endpoint": string|null, "via": "header"|"link"|null, "webmention": {"endpoint", "via": "header"|"link"|"a"}|null}; endpoint and via are Pingback\'s.',
    },
    ...CLIENT_FLAGS,
  },
  notes: ['Exit status: 0 an endpoint found (either protocol), 1 none advertised, 2 error (bad arguments, page unreachable).'],
};

export async function discover(parsed: Parsed, io: Io): Promise<number> {
  const [url] = parsed.positionals as [string];
  const json = parsed.flags.json === true;
  try {
    const found = await discoverEndpoints(url, clientOptions(parsed.flags));
    const { pingback, webmention } = found;
    if (json) io.stdout.write(`${JSON.stringify({ endpoint: pingback.endpoint, via: pingback.via, webmention })}\n`);
    else {
      if (pingback.endpoint) io.stdout.write(`${pingback.endpoint}\n  via ${pingback.reason}\n`);
      else io.stdout.write(`no endpoint: ${pingback.reason}\n`);
      if (webmention) io.stdout.write(`webmention ${webmention.endpoint}\n  via ${found.webmentionReason}\n`);
      else io.stdout.write(`no webmention endpoint: ${found.webmentionReason}\n`);
    }
    return pingback.endpoint || webmention ? Exit.OK : Exit.NEGATIVE;
  } catch (error) {
    const message = (error as Error).message;
    if (json) io.stdout.write(`${JSON.stringify({ endpoint: null, via: null, webmention: null, error: message })}\n`);
    io.stderr.write(`pingback discover: ${message}\n`);
    return Exit.ERROR;
  }
}
