import type { PingbackRecord } from '@pingback/core';
import type { Handler, TestServer } from './http.ts';
import { routes, startServer } from './http.ts';
import { record } from './store-contract.ts';

/** A square of one colour, as an avatar a stranger's site serves. */
const square = (fill: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48" fill="${fill}"/></svg>`;

/**
 * Where the avatars live: a real HTTP server on loopback, on another port (another origin) than the
 * pages, recording each request with its headers. `/ann.svg` and `/cy.svg` are photos; `/broken.png`
 * answers 404, as a photo that has gone away does.
 */
export function startPhotoServer(): Promise<TestServer> {
  const svg =
    (fill: string): Handler =>
    (_req, res) =>
      void res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(square(fill));
  return startServer(routes({ '/ann.svg': svg('#d00000'), '/cy.svg': svg('#0050d0') }));
}

/** What a hostile source managed to get stored: markup, script URLs and direction overrides everywhere. */
export const HOSTILE = {
  title: '<img src=x onerror="window.__pwned=1">Re: hi',
  excerpt: '<script>window.__pwned=2</script> a reply',
  name: '\u202eevE <b>bold</b>',
} as const;

/**
 * One post's linkbacks of every kind, received one a day from 22 November 2026 in this order: a reply
 * with its entry's own URL and a photo, a like with a photo, a like whose photo is gone (404), a repost
 * and a bookmark without photos, and a hostile reply (markup in its title, excerpt and name, an override
 * in the name, `javascript:` in every URL field). Every field is what the receiver stores for a
 * Webmention.
 */
export function kindRecords(key: string, photos: string): PingbackRecord[] {
  const day = (d: number) => new Date(Date.UTC(2026, 10, 21 + d, 10)).toISOString();
  const webmention = { protocol: 'webmention' as const, target: `https://blog.example${key}/` };
  return [
    record(key, 'https://reply.example/re', {
      ...webmention,
      kind: 'reply',
      receivedAt: day(1),
      title: 'Re: Hello',
      excerpt: 'Nice post, and a reply to it.',
      url: 'https://social.example/@ann/1',
      author: { name: 'Ann Reply', url: 'https://ann.example/', photo: `${photos}/ann.svg` },
    }),
    record(key, 'https://brid.gy/like/1', {
      ...webmention,
      kind: 'like',
      receivedAt: day(2),
      title: '',
      excerpt: '',
      url: 'https://social.example/@me/1#favorited-by-cy',
      author: { name: 'Cy Like', url: 'https://cy.example/', photo: `${photos}/cy.svg` },
    }),
    record(key, 'https://likes.example/2', {
      ...webmention,
      kind: 'like',
      receivedAt: day(3),
      title: '',
      excerpt: '',
      author: { name: 'Bo Broken', photo: `${photos}/broken.png` },
    }),
    record(key, 'https://repost.example/3', { ...webmention, kind: 'repost', receivedAt: day(4), title: '', excerpt: '', author: { name: 'Dee Repost' } }),
    record(key, 'https://bookmark.example/4', {
      ...webmention,
      kind: 'bookmark',
      receivedAt: day(5),
      title: 'Hello',
      excerpt: '',
      author: { name: 'Eve Bookmark' },
    }),
    record(key, 'https://hostile.example/5', {
      ...webmention,
      kind: 'reply',
      receivedAt: day(6),
      title: HOSTILE.title,
      excerpt: HOSTILE.excerpt,
      url: 'javascript:window.__pwned=5',
      author: { name: HOSTILE.name, url: 'javascript:window.__pwned=3', photo: 'javascript:window.__pwned=4' },
    }),
  ];
}
