import { connect } from 'node:net';

export interface RawReply {
  /** Everything received, as latin1 text. */
  text: string;
  /** The status of the first response, or null when none came. */
  status: number | null;
}

/**
 * Sends bytes over a plain TCP socket, so nothing between us and the server normalises the request line
 * (curl and fetch would resolve dot segments, encode, or refuse), and returns what came back: up to the end
 * of the first response's head, the connection's close, or `waitMs`, whichever is first.
 */
export function rawRequest(
  port: number,
  bytes: Uint8Array | string,
  { waitMs = 400, end = false }: { waitMs?: number; end?: boolean } = {},
): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : null });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).includes('\r\n\r\n')) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(bytes, () => {
        if (end) socket.end();
      });
    });
  });
}
