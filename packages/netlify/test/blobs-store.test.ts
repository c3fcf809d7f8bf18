import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBlobs } from '../../../test/support/blobs.ts';
import { startLocalBlobs } from '../../../test/support/blobs.ts';
import { record, storeContract } from '../../../test/support/store-contract.ts';
import { BlobsStore } from '../src/blobs-store.ts';

let blobs: LocalBlobs;
let n = 0;
beforeAll(async () => {
  blobs = await startLocalBlobs();
});
afterAll(() => blobs.stop());

// Each test gets its own named store on the real local Blobs server.
storeContract('Netlify Blobs (local server)', async () => new BlobsStore({ name: `contract-${++n}`, ...blobs.client }), { atomicCopies: false });

describe('BlobsStore', () => {
  it('reports an unreachable Blobs service as a StoreError naming the package', async () => {
    const store = new BlobsStore({ ...blobs.client, edgeURL: 'http://127.0.0.1:9', uncachedEdgeURL: 'http://127.0.0.1:9' });
    await expect(store.insert(record('/posts/a', 'https://s.example/'))).rejects.toMatchObject({
      name: 'StoreError',
      message: expect.stringMatching(/^\[@pingback\/netlify\] \[blobs\] insert/),
    });
    await expect(store.list()).rejects.toMatchObject({ name: 'StoreError' });
  });

  it('says how to get access when there is none, on first use', async () => {
    const saved = process.env.NETLIFY_BLOBS_CONTEXT;
    delete process.env.NETLIFY_BLOBS_CONTEXT;
    try {
      const store = new BlobsStore();
      await expect(store.list()).rejects.toMatchObject({ name: 'StoreError', message: expect.stringMatching(/elsewhere pass siteID and token/) });
    } finally {
      if (saved !== undefined) process.env.NETLIFY_BLOBS_CONTEXT = saved;
    }
  });
});
