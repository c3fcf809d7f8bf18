/** What the client needs of a receiver (structural, so the core's source and its build both fit). */
export interface Handles {
  settings: { site: URL };
  handle(request: Request, context?: { clientAddress?: string }): Promise<Response>;
}

/**
 * A client of the moderation page that behaves as a browser does with a same-origin form: it keeps the
 * session cookie, sends Origin with every POST, reads the form token from the page, and follows nothing
 * by itself (redirects are returned for the test to look at).
 */
export interface AdminClient {
  cookie: string | null;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, fields: [string, string][] | Record<string, string>, headers?: Record<string, string>): Promise<Response>;
  signIn(token: string): Promise<Response>;
  /** The form token on the list page (signed in). */
  formToken(): Promise<string>;
}

export function adminClient(receiver: Handles, options: { base?: string; clientAddress?: string; origin?: string } = {}): AdminClient {
  const site = receiver.settings.site;
  const base = options.base ?? '/pingback/admin';
  const origin = options.origin ?? site.origin;
  const context = { clientAddress: options.clientAddress ?? '203.0.113.9' };
  const client: AdminClient = {
    cookie: null,
    async get(path, headers = {}) {
      return receiver.handle(
        new Request(new URL(base + path, site), { headers: { ...(client.cookie ? { cookie: client.cookie } : {}), ...headers } }),
        context,
      );
    },
    async post(path, fields, headers = {}) {
      const body = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields)).toString();
      const response = await receiver.handle(
        new Request(new URL(base + path, site), {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin, ...(client.cookie ? { cookie: client.cookie } : {}), ...headers },
        }),
        context,
      );
      const set = response.headers.get('set-cookie');
      if (set) {
        const [pair] = set.split(';');
        client.cookie = pair!.endsWith('=') ? null : pair!;
      }
      return response;
    },
    signIn(token) {
      return client.post('/sign-in', { token });
    },
    async formToken() {
      const html = await (await client.get('')).text();
      const m = /name="csrf" value="([^"]+)"/.exec(html);
      if (!m) throw new Error(`no form token on the page:\n${html.slice(0, 500)}`);
      return m[1]!;
    },
  };
  return client;
}
