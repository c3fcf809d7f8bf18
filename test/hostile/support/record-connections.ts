/**
 * Preloaded into `pingback serve` by the hostile suite (`node --import`): appends every outgoing TCP
 * connection attempt, as `address:port`, to the file named by PINGBACK_CONNECTION_LOG, so the test can
 * prove the server never even tried a forbidden address.
 */
import dc from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import type { Socket } from 'node:net';

const log = process.env.PINGBACK_CONNECTION_LOG;
if (log) {
  dc.subscribe('net.client.socket', (message) => {
    const { socket } = message as { socket: Socket };
    socket.on('connectionAttempt', (ip: string, port: number) => appendFileSync(log, `${ip}:${port}\n`));
  });
}
