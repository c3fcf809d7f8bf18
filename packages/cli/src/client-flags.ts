import type { ClientOptions } from '@pingback/core';
import type { CommandSpec, FlagSpec, Parsed } from './args.ts';
import { intFlag } from './args.ts';

/** The arguments of the commands that send one linkback, `ping` and `webmention`. */
export const SOURCE_AND_TARGET: CommandSpec['positionals'] = [
  { name: 'source', description: 'Your page, which links to the target and is already online.' },
  { name: 'target', description: 'The page you link to, exactly as written in your page.' },
];

/** Flags every command that makes requests as a Pingback client shares. */
export const CLIENT_FLAGS: Record<string, FlagSpec> = {
  timeout: { type: 'string', value: 'MS', description: 'Deadline of each HTTP request in milliseconds (default 10000).' },
  lenient: {
    type: 'boolean',
    description: 'Accept non-conforming advertisements: relative hrefs, any attribute order or quoting.',
  },
  site: { type: 'string', value: 'URL', description: 'Your site, named in the User-Agent of every request.' },
  'user-agent': { type: 'string', value: 'TEXT', description: 'Send this User-Agent instead.' },
};

export function clientOptions(flags: Parsed['flags']): ClientOptions {
  const options: ClientOptions = {};
  const timeout = intFlag(flags, 'timeout');
  if (timeout !== undefined) options.timeoutMs = timeout;
  if (flags.lenient) options.lenient = true;
  if (typeof flags.site === 'string') options.site = flags.site;
  if (typeof flags['user-agent'] === 'string') options.userAgent = flags['user-agent'];
  return options;
}
