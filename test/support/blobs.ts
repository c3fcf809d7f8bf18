import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobsServer } from '@netlify/blobs/server';

export interface LocalBlobs {
  url: string;
  token: string;
  siteID: string;
  /** The options a client needs to reach it. */
  client: { siteID: string; token: string; edgeURL: string; uncachedEdgeURL: string };
  /** NETLIFY_BLOBS_CONTEXT as Netlify sets it inside a Function. */
  context: string;
  stop(): Promise<void>;
}

/** Netlify's own local Blobs server on a temporary folder and a random port. */
export async function startLocalBlobs(): Promise<LocalBlobs> {
  const directory = await mkdtemp(join(tmpdir(), 'pingback-blobs-'));
  const token = 'local-test-token';
  const server = new BlobsServer({ directory, token });
  const { port } = await server.start();
  const url = `http://127.0.0.1:${port}`;
  const client = { siteID: 'pingback-test-site', token, edgeURL: url, uncachedEdgeURL: url };
  return {
    url,
    token,
    siteID: client.siteID,
    client,
    context: Buffer.from(JSON.stringify(client)).toString('base64'),
    stop: async () => {
      await server.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
