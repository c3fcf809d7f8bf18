import type { ResolvedClientOptions } from '../net/client-options.ts';
import { BadReplyError } from '../errors.ts';
import { PingbackFault } from '../faults.ts';
import type { HttpTransport } from '../net/http-request.ts';
import { httpRequest } from '../net/http-request.ts';
import type { MethodResponse, XmlRpcValue } from '../xmlrpc/index.ts';
import { RESPONSE_LIMITS, parseMethodResponse, writeMethodCall } from '../xmlrpc/index.ts';

/**
 * Calls one XML-RPC method. Resolves with the result value; throws `PingbackFault` for a fault reply,
 * `BadReplyError` for an HTTP answer that is not XML-RPC, `TransportError` when nothing usable arrives.
 */
export async function callXmlRpc(
  endpoint: string,
  methodName: string,
  params: readonly XmlRpcValue[],
  o: ResolvedClientOptions,
  transport: HttpTransport = httpRequest,
): Promise<XmlRpcValue> {
  const response = await transport({
    url: endpoint,
    method: 'POST',
    headers: { 'content-type': 'text/xml', 'user-agent': o.userAgent, accept: 'text/xml' },
    body: writeMethodCall(methodName, params),
    maxBytes: o.maxReplyBytes,
    timeoutMs: o.timeoutMs,
    maxRedirects: o.maxRedirects,
    dispatcher: o.dispatcher,
    signal: o.signal,
  });
  if (response.truncated) {
    throw new BadReplyError(response.status, `reply longer than ${o.maxReplyBytes} bytes (HTTP ${response.status})`);
  }
  let parsed: MethodResponse;
  try {
    parsed = parseMethodResponse(response.body, { ...RESPONSE_LIMITS, maxBytes: o.maxReplyBytes });
  } catch (error) {
    const what = response.status >= 200 && response.status < 300 ? 'not an XML-RPC reply' : 'an HTTP error';
    const detail = error instanceof PingbackFault ? `: ${error.message}` : '';
    throw new BadReplyError(response.status, `${what} (HTTP ${response.status})${detail}`, { cause: error });
  }
  if (parsed.kind === 'fault') throw new PingbackFault(parsed.faultCode, parsed.faultString);
  return parsed.value;
}
