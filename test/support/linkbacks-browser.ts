import { expect } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { TestServer } from './http.ts';
import { startServer } from './http.ts';

/** One item as a reader's browser lays it out. */
export interface SeenItem {
  kind: string;
  text: string;
}

/** What a reader's Chromium saw of a built post, with the avatars served by `photos`. */
export interface ReaderView {
  /** Each `<section class="pingbacks">` by id: its replies and mentions, its faces, its groups' headings. */
  sections: Record<string, { list: SeenItem[]; faces: SeenItem[]; headings: string[] }>;
  /** Each `.pingback-count` element's text, in document order. */
  counts: string[];
  /** Avatar requests while the list was far below the fold, and once it was scrolled into view. */
  photoRequestsBeforeScroll: string[];
  photoRequestsAfterScroll: string[];
  /** The Referer each avatar request carried (null: none). */
  referers: (string | null)[];
  /**
   * Share of an avatar's pixels that change when its photo is taken out of the page, leaving the
   * initials: about 0 for a broken photo (what shows is the initials), most for a photo that loaded.
   */
  brokenPhotoChange: number;
  loadedPhotoChange: number;
  /** The initials of the broken photo's avatar, as laid out (visible, not hidden). */
  brokenPhotoInitials: { text: string; visible: boolean };
  /** Dialogs opened, and what the hostile record's scripts would have set. */
  dialogs: string[];
  pwned: unknown;
  /** Every link target and image source inside the sections. */
  hrefs: string[];
  srcs: string[];
  /** Script elements and inline event handlers inside the sections. */
  scripts: number;
  handlers: number;
  /** Text nodes holding a direction control that have no `<bdi>` around them. */
  unisolatedControls: number;
  /** In the item whose author's name holds an override: the date still comes after the author, left to right. */
  dateAfterOverriddenName: boolean;
}

/** Share of pixels (0–1) that differ by more than a little in any channel between two PNG screenshots, decoded by the browser. */
async function pixelChange(page: Page, a: Buffer, b: Buffer): Promise<number> {
  return (await page.evaluate(`(async () => {
    const decode = async (b64) => {
      const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    };
    const [x, y] = await Promise.all([decode(${JSON.stringify(a.toString('base64'))}), decode(${JSON.stringify(b.toString('base64'))})]);
    if (x.width !== y.width || x.height !== y.height) return 1;
    let changed = 0;
    for (let i = 0; i < x.data.length; i += 4) {
      if (Math.max(Math.abs(x.data[i] - y.data[i]), Math.abs(x.data[i + 1] - y.data[i + 1]), Math.abs(x.data[i + 2] - y.data[i + 2])) > 40) changed++;
    }
    return changed / (x.width * x.height);
  })()`)) as number;
}

/** How much of an avatar changes when its photo is taken out, leaving only what is behind it. */
async function changeWithoutPhoto(page: Page, avatar: Locator): Promise<number> {
  const before = await avatar.screenshot({ animations: 'disabled' });
  await avatar.evaluate((el: { querySelector(selector: string): { remove(): void } | null }) => el.querySelector('img')?.remove());
  const after = await avatar.screenshot({ animations: 'disabled' });
  return pixelChange(page, before, after);
}

/**
 * Opens a built post in Chromium as a reader would, with the list pushed far below the fold (a tall
 * spacer in front of the first section, so lazy loading has something to wait for), then scrolls to it
 * and looks. The page is served again with the spacer from a server of its own on loopback: a response
 * made up by Playwright's routing has no address, and Chromium then refuses it loopback images.
 */
export async function readPost(
  browser: Browser,
  pageUrl: string,
  photos: TestServer,
  names: { brokenPhoto: string; loadedPhoto: string },
): Promise<ReaderView> {
  const original = await (await fetch(pageUrl)).text();
  const spaced = original.replace('<section class="pingbacks"', '<div class="test-spacer" style="height:8000px"></div><section class="pingbacks"');
  const server = await startServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(spaced));
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  try {
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const seen = photos.requests.length;
    await page.goto(`${server.url}${new URL(pageUrl).pathname}`, { waitUntil: 'load' });
    await page.waitForTimeout(800);
    const photoRequestsBeforeScroll = photos.requests.slice(seen).map((r) => r.path);
    await page.locator('section.pingbacks').first().scrollIntoViewIfNeeded();
    await page.waitForFunction('[...document.querySelectorAll(".pingback__photo")].every((img) => img.complete)');
    await page.waitForTimeout(300);
    const photoRequests = photos.requests.slice(seen);

    const facts = (await page.evaluate(`(() => {
      const sections = {};
      for (const section of document.querySelectorAll('section.pingbacks')) {
        const kindOf = (li) => [...li.classList].find((c) => c.startsWith('pingback--'))?.slice('pingback--'.length) ?? '';
        // The text as read out: without what is aria-hidden (the initials behind an avatar).
        const item = (li) => {
          const hidden = [...li.querySelectorAll('[aria-hidden="true"]')];
          for (const h of hidden) h.style.display = 'none';
          const text = li.innerText.replace(/\\s+/g, ' ').trim();
          for (const h of hidden) h.style.display = '';
          return { kind: kindOf(li), text };
        };
        sections[section.id] = {
          list: [...section.querySelectorAll('.pingbacks__list > li')].map(item),
          faces: [...section.querySelectorAll('.pingbacks__faces > li')].map(item),
          headings: [...section.querySelectorAll('.pingbacks__group-heading')].map((h) => h.innerText.trim()),
        };
      }
      const inside = (selector) => [...document.querySelectorAll('section.pingbacks')].flatMap((s) => [...s.querySelectorAll(selector)]);
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      let unisolatedControls = 0;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (/[\\u202a-\\u202e\\u2066-\\u2069]/.test(node.data) && !node.parentElement.closest('bdi')) unisolatedControls++;
      }
      const overridden = inside('.pingback__author').find((a) => a.textContent.includes('\\u202e'));
      const li = overridden?.closest('li');
      const time = li?.querySelector('time');
      const dateAfterOverriddenName = Boolean(overridden && time && time.getBoundingClientRect().left >= overridden.getBoundingClientRect().right - 1);
      return {
        sections,
        counts: [...document.querySelectorAll('.pingback-count')].map((c) => c.innerText.trim()),
        pwned: window.__pwned ?? null,
        hrefs: inside('[href]').map((a) => a.getAttribute('href')),
        srcs: inside('[src]').map((i) => i.getAttribute('src')),
        scripts: inside('script').length,
        handlers: inside('*').filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
        unisolatedControls,
        dateAfterOverriddenName,
      };
    })()`)) as Omit<
      ReaderView,
      'photoRequestsBeforeScroll' | 'photoRequestsAfterScroll' | 'referers' | 'brokenPhotoChange' | 'loadedPhotoChange' | 'brokenPhotoInitials' | 'dialogs'
    >;

    const avatarOf = (name: string) => page.locator('section.pingbacks .pingback__face', { hasText: name }).first().locator('.pingback__avatar');
    const broken = avatarOf(names.brokenPhoto);
    const initials = broken.locator('.pingback__initials');
    const brokenPhotoInitials = { text: (await initials.textContent()) ?? '', visible: await initials.isVisible() };
    const brokenPhotoChange = await changeWithoutPhoto(page, broken);
    const loadedPhotoChange = await changeWithoutPhoto(page, avatarOf(names.loadedPhoto));
    return {
      ...facts,
      photoRequestsBeforeScroll,
      photoRequestsAfterScroll: photoRequests.map((r) => r.path),
      referers: photoRequests.map((r) => (typeof r.headers.referer === 'string' ? r.headers.referer : null)),
      brokenPhotoChange,
      loadedPhotoChange,
      brokenPhotoInitials,
      dialogs,
    };
  } finally {
    await context.close();
    await server.close();
  }
}

/**
 * What every page that renders `kindRecords` must give a reader, whatever the generator: avatars that
 * wait for the reader to scroll and tell the photo's server nothing of the page, initials where a photo
 * is gone, and nothing of the hostile record that runs, links anywhere but http(s) or reorders the text.
 */
export function expectReaderBasics(view: ReaderView, photos: TestServer): void {
  expect(view.photoRequestsBeforeScroll, 'avatars far below the fold are not fetched').toEqual([]);
  expect([...view.photoRequestsAfterScroll].sort()).toEqual(['/ann.svg', '/broken.png', '/cy.svg']);
  expect(view.referers, 'no avatar request says which page it is on').toEqual([null, null, null]);
  expect(view.brokenPhotoInitials).toEqual({ text: 'BB', visible: true });
  // What shows of a photo that answered 404 is the initials: taking the photo out changes nothing.
  expect(view.brokenPhotoChange).toBeLessThan(0.01);
  expect(view.loadedPhotoChange).toBeGreaterThan(0.5);
  expect(view.dialogs).toEqual([]);
  expect(view.pwned).toBe(null);
  expect([view.scripts, view.handlers, view.unisolatedControls]).toEqual([0, 0, 0]);
  expect(view.hrefs.filter((h) => !/^https?:\/\//.test(h))).toEqual([]);
  expect(view.srcs.filter((s) => !s.startsWith(`${photos.url}/`))).toEqual([]);
  expect(view.dateAfterOverriddenName, 'an override in a name does not move the date before it').toBe(true);
}
