// A child process of `pnpm bench reading`: Netlify's local Blobs server, standing in for the Blobs
// service, in a process of its own as the service is, counting the requests it gets.
import { BlobsServer } from '@netlify/blobs/server';

const directory = process.argv[2]!;
const token = process.argv[3]!;
let requests = 0;
const server = new BlobsServer({ directory, token, onRequest: () => void requests++ });
const { port } = await server.start();
process.send!({ port });
process.on('message', (message) => {
  if (message === 'count') process.send!({ requests });
});
process.on('disconnect', () => void server.stop().then(() => process.exit(0)));
