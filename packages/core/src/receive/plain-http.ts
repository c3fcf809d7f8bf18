/**
 * The receiver's own request and response shapes: what it needs of HTTP and nothing more. `handle()`
 * maps Web `Request`/`Response` onto them (Netlify); a Node server maps its own objects straight onto
 * them and skips building Web objects for every ping.
 */
export interface PlainRequest {
  method: string;
  url: URL;
  /** A request header by lower-case name. */
  header(name: string): string | null;
  /** The body, already read within the receiver's byte cap; null for GET and HEAD. */
  body: Uint8Array | null;
  /** False when the body was longer than the cap and was cut. */
  complete: boolean;
}

export interface PlainResponse {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

export function plain(status: number, body: string | null, headers: Record<string, string> = {}): PlainResponse {
  return { status, headers, body };
}
