import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import type { Agent, Dispatcher } from 'undici';
import { PingbackOptionError, TransportError } from '../errors.ts';
import type { HttpRequest, HttpResponse } from './http-request.ts';
import { httpRequest } from './http-request.ts';
import { loadUndici } from './undici-loader.ts';
import { KeyedLimiter, LimiterFullError } from './limiter.ts';
import { userAgent } from './user-agent.ts';
import type { AddressSet } from './ip-address.ts';
import { compileAddressSet, ipLiteral, isForbiddenAddress } from './ip-address.ts';

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/**
 * What a guarded fetcher may connect to, and how much it reads: the receiver's policy for sources, and the
 * sender's for Webmention targets and endpoints.
 */
export interface SourcePolicy {
  /** Allow loopback and private addresses and any port: for local demos and tests only. */
  allowPrivateNetwork: boolean;
  /** Ports a URL may use (the receiver: 80 and 443); null for any port (the sender). */
  allowedPorts: readonly number[] | null;
  /** Bytes of the source read at most. Default 1 MiB. */
  maxBytes: number;
  /** Deadline for the whole fetch, redirects included. Default 10 s. */
  timeoutMs: number;
  /** Redirects followed, each hop checked again. Default 3. */
  maxRedirects: number;
  /** Private addresses trusted anyway (an intranet source): exact addresses or CIDR ranges. */
  allowAddresses?: readonly string[];
  /** DNS resolution; the addresses it returns are checked and the connection goes to one of them. */
  resolve?: Resolver;
}

const FORBIDDEN = 'ERR_PINGBACK_FORBIDDEN_ADDRESS';

/**
 * Source fetches in flight at once. Under a flood the rest wait their turn, and each fetch's deadline
 * starts when it leaves the queue: a source is judged by how fast it answers, not by how busy we are.
 */
export const SOURCE_CONCURRENCY = 64;

/** Source fetches waiting for a turn at most; past that a ping is answered "try again later" at once. */
export const SOURCE_QUEUE = 1024;

function refuse(url: URL, why: string): TransportError {
  return new TransportError('forbidden-address', url.href, why);
}

/** The `allowAddresses` option compiled, or a `PingbackOptionError` naming the entry to fix. */
export function trustedAddresses(entries: readonly string[]): AddressSet {
  try {
    return compileAddressSet(entries);
  } catch (error) {
    throw new PingbackOptionError('allowAddresses', (error as Error).message, 'List addresses such as "10.0.0.7" or ranges such as "10.0.0.0/24".');
  }
}

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Fetches sources for verification without letting a stranger aim the server at a private network.
 * Every hop's URL is checked (scheme, credentials, port, literal address), and every name is resolved
 * once by our own lookup: if any address it yields is forbidden nothing is connected at all, otherwise
 * the connection goes to exactly the address that was checked. There is no second resolution to rebind.
 */
export class SourceFetcher {
  readonly policy: SourcePolicy;
  private agent: Promise<Agent> | undefined;
  private readonly site: string | undefined;
  private readonly forbidden: (address: string) => boolean;
  private readonly turns = new KeyedLimiter(SOURCE_CONCURRENCY, SOURCE_CONCURRENCY, SOURCE_QUEUE);

  constructor(policy: SourcePolicy, site?: string) {
    this.policy = policy;
    this.site = site;
    const allowed = trustedAddresses(policy.allowAddresses ?? []);
    this.forbidden = (address: string) => !allowed.has(address) && isForbiddenAddress(address);
  }

  /** The pinned, address-checking connection pool, made on first use (see undici-loader.ts). */
  private dispatcher(): Promise<Agent> {
    const policy = this.policy;
    const resolve = policy.resolve ?? systemResolver;
    this.agent ??= loadUndici().then(
      ({ Agent }) =>
        new Agent({
          connect: {
            timeout: policy.timeoutMs,
            lookup: (hostname, options, callback) => {
              resolve(hostname).then(
                (found) => {
                  const family = typeof options.family === 'number' && options.family !== 0 ? options.family : undefined;
                  const addresses = found.filter((a) => family === undefined || a.family === family);
                  if (addresses.length === 0) {
                    const error = Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
                    return callback(error, '', 0);
                  }
                  if (!policy.allowPrivateNetwork && addresses.some((a) => this.forbidden(a.address))) {
                    const error = Object.assign(new Error(`${hostname} resolves to a forbidden address`), { code: FORBIDDEN });
                    return callback(error, '', 0);
                  }
                  if (options.all) (callback as (e: null, list: LookupAddress[]) => void)(null, addresses);
                  else callback(null, addresses[0]!.address, addresses[0]!.family);
                },
                (error: Error) => callback(error, '', 0),
              );
            },
          },
        }),
    );
    return this.agent;
  }

  /** Refuses a hop before any connection: what no policy allows, whatever the DNS says. */
  checkUrl = (url: URL): void => {
    if (url.username || url.password) throw refuse(url, 'URLs with credentials are refused');
    if (this.policy.allowPrivateNetwork) return;
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    if (this.policy.allowedPorts !== null && !this.policy.allowedPorts.includes(port)) throw refuse(url, `port ${port} is not allowed`);
    const literal = ipLiteral(url.hostname);
    if (literal !== null && this.forbidden(literal)) throw refuse(url, 'forbidden address');
  };

  /**
   * Fetches the source; throws `TransportError` (kind `forbidden-address` for policy refusals). A
   * Webmention's source is asked for in the types its link check reads (HTML first, then JSON and
   * plain text) and says so in the user agent.
   */
  fetch(source: string, clientAddress: string | undefined, signal?: AbortSignal, protocol: 'pingback' | 'webmention' = 'pingback'): Promise<HttpResponse> {
    const who = clientAddress ?? 'unknown';
    const headers: Record<string, string> =
      protocol === 'webmention'
        ? {
            'user-agent': userAgent(this.site, `verifying Webmention from ${who}`),
            accept: 'text/html, application/xhtml+xml;q=0.9, application/json;q=0.8, text/plain;q=0.7, */*;q=0.1',
          }
        : { 'user-agent': userAgent(this.site, `verifying pingback from ${who}`), accept: 'text/html, application/xhtml+xml;q=0.9, text/*;q=0.8' };
    if (clientAddress && protocol === 'pingback') headers['x-pingback-forwarded-for'] = clientAddress;
    return this.turns
      .run('', async () =>
        httpRequest({
          url: source,
          method: 'GET',
          headers,
          maxBytes: this.policy.maxBytes,
          timeoutMs: this.policy.timeoutMs,
          maxRedirects: this.policy.maxRedirects,
          dispatcher: await this.dispatcher(),
          signal,
          checkUrl: this.checkUrl,
        }),
      )
      .catch((error: unknown) => {
        if (error instanceof LimiterFullError) throw new TransportError('busy', source, `${SOURCE_QUEUE} source fetches are already waiting`, { cause: error });
        throw error;
      });
  }

  /**
   * Any bounded exchange under this policy, taking its turn with the fetches: every hop checked, names
   * resolved once and the connection pinned to the checked address (the sender's discovery and pings, and
   * the arrival webhook's POST, go out this way). With `dispatcher` (a caller's own pool or proxy) the hops
   * are still checked, but name resolution is that dispatcher's: only the built-in pool pins addresses.
   */
  request(req: Omit<HttpRequest, 'dispatcher' | 'checkUrl'>, dispatcher?: Dispatcher): Promise<HttpResponse> {
    return this.turns
      .run('', async () => httpRequest({ ...req, dispatcher: dispatcher ?? (await this.dispatcher()), checkUrl: this.checkUrl }))
      .catch((error: unknown) => {
        if (error instanceof LimiterFullError) throw new TransportError('busy', req.url, `${SOURCE_QUEUE} requests are already waiting`, { cause: error });
        throw error;
      });
  }

  async close(): Promise<void> {
    await (await this.agent)?.close();
  }
}
