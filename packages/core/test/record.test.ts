import { describe, expect, it } from 'vitest';
import { publicRecord } from '../src/receive/read-endpoint.ts';
import type { PingbackRecord } from '../src/store/record.ts';
import { isPersistentDelete, isRecord, recordId, recordKind, recordProtocol, tombstone } from '../src/store/record.ts';

const base: PingbackRecord = {
  id: recordId('/posts/a', 'https://s.example/reply'),
  source: 'https://s.example/reply',
  target: 'https://blog.example/posts/a/',
  key: '/posts/a',
  status: 'approved',
  title: 'A reply',
  excerpt: 'Nice post',
  author: { name: 'Ann', url: 'https://ann.example/' },
  receivedAt: '2026-11-20T09:00:00.000Z',
};

describe('linkback records', () => {
  it('read a record from before Webmention as a pingback and a mention', () => {
    expect(isRecord(base)).toBe(true);
    expect(recordProtocol(base)).toBe('pingback');
    expect(recordKind(base)).toBe('mention');
    expect(publicRecord(base)).toMatchObject({ protocol: 'pingback', kind: 'mention' });
  });

  it('carry the protocol, kind, entry URL and author photo, and publish them', () => {
    const like: PingbackRecord = {
      ...base,
      protocol: 'webmention',
      kind: 'like',
      url: 'https://social.example/@ann/1',
      author: { ...base.author, photo: 'https://ann.example/me.jpg' },
      updatedAt: '2026-11-21T00:00:00.000Z',
    };
    expect(isRecord(like)).toBe(true);
    const shown = publicRecord(like);
    expect(shown).toMatchObject({
      protocol: 'webmention',
      kind: 'like',
      url: 'https://social.example/@ann/1',
      author: { photo: 'https://ann.example/me.jpg' },
      updatedAt: '2026-11-21T00:00:00.000Z',
    });
    expect(shown).not.toHaveProperty('status');
  });

  it('refuse unknown protocols and kinds, and fields of the wrong type', () => {
    expect(isRecord({ ...base, protocol: 'smoke-signal' })).toBe(false);
    expect(isRecord({ ...base, kind: 'rsvp-maybe' })).toBe(false);
    expect(isRecord({ ...base, url: 42 })).toBe(false);
    expect(isRecord({ ...base, author: { name: 'Ann', photo: ['x'] } })).toBe(false);
    expect(isRecord({ ...base, deletedBy: 'nobody' })).toBe(false);
  });

  it("tell the owner's deletes, which last, from a source's, which a later Webmention may undo", () => {
    const byOwner = tombstone({ ...base, protocol: 'webmention' }, '2026-11-22T00:00:00.000Z');
    expect(byOwner).toMatchObject({ deletedBy: 'moderator', protocol: 'webmention', title: '', excerpt: '', author: { name: '' } });
    expect(isPersistentDelete(byOwner)).toBe(true);
    const bySource = tombstone(base, '2026-11-22T00:00:00.000Z', 'source');
    expect(isPersistentDelete(bySource)).toBe(false);
    const { deletedBy: _, ...old } = byOwner;
    expect(isPersistentDelete(old)).toBe(true);
    expect(isPersistentDelete(base)).toBe(false);
    expect(publicRecord(bySource)).not.toHaveProperty('deletedBy');
  });
});
