import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PEERS = fileURLToPath(new URL('./peers/', import.meta.url));

export interface PeerCall {
  method: string;
  params: unknown[];
  headers: Record<string, string>;
}

export interface PythonPeer {
  /** Base URL; the XML-RPC endpoint is at `${url}/xmlrpc`. */
  url: string;
  endpoint: string;
  calls: PeerCall[];
  /** Resolves when `n` calls have been recorded. */
  waitForCalls(n: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts Python's standard xmlrpc.server as an independent Pingback/weblogUpdates peer on loopback. */
export async function startPythonPeer(): Promise<PythonPeer> {
  const child = spawn('python3', [`${PEERS}pingback_peer.py`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const calls: PeerCall[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`python peer exited with ${code}`)));
    lines.on('line', (line) => {
      const record = JSON.parse(line) as { port?: number } & PeerCall;
      if (record.port !== undefined) {
        resolve(record.port);
        return;
      }
      calls.push(record);
      for (const w of [...waiters]) {
        if (calls.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    endpoint: `${url}/xmlrpc`,
    calls,
    waitForCalls: (n) => (calls.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** Decodes an XML-RPC document with Python's xmlrpc.client.loads. */
export function pythonDecode(xml: string | Uint8Array): unknown {
  const out = spawnSync('python3', [`${PEERS}xmlrpc_codec.py`, 'decode'], { input: xml, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`python decode failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

/** Encodes with Python's xmlrpc.client.dumps. */
export function pythonEncode(spec: unknown): string {
  const out = spawnSync('python3', [`${PEERS}xmlrpc_codec.py`, 'encode'], { input: JSON.stringify(spec), encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`python encode failed: ${out.stderr}`);
  return out.stdout;
}

export interface WebhookCheck {
  secret: string;
  headers: Record<string, string | undefined>;
  body: string;
  now: number;
}

/** Checks Standard Webhooks signatures with Python's hmac, hashlib and base64 only: an independent verifier. */
export function pythonVerifyWebhooks(checks: WebhookCheck[]): { valid: boolean; why: string }[] {
  const input = checks.map((c) => JSON.stringify(c)).join('\n');
  const out = spawnSync('python3', [`${PEERS}verify_webhook.py`], { input, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`python verify failed: ${out.stderr}`);
  return out.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { valid: boolean; why: string });
}
