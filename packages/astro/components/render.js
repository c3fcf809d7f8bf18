// What the components share: the props checked once per use (a typo stops the build, naming the prop),
// the kinds picked, the slots rendered, and core's HTML.
import {
  PINGBACK_TEXTS,
  PINGBACK_WORDS,
  RESPONSE_TEXTS,
  RESPONSE_WORDS,
  ofKinds,
  renderLinkbacksHtml,
  renderPingbackCountHtml,
  renderPingbacksHtml,
  resolveCountOptions,
  resolveRenderOptions,
} from '@pingback/core/render';
import { pingbackCount, pingbacksFor } from './data.js';

function prefixed(component, fn) {
  try {
    return fn();
  } catch (error) {
    if (error && error.code === 'ERR_PINGBACK_OPTION') error.message = `[@pingback/astro] <${component}>: ${error.message}`;
    throw error;
  }
}

/** `<Pingbacks />` and `<Linkbacks />`: the section, or the component's own markup for each item. */
export async function sectionHtml(component, props, slots) {
  const neutral = component === 'Linkbacks';
  const { url, ...options } = props;
  const resolved = prefixed(component, () => resolveRenderOptions(options, neutral ? RESPONSE_TEXTS : PINGBACK_TEXTS));
  const all = pingbacksFor(url);
  const items = ofKinds(all, resolved.kinds);
  const parts = {};
  if (items.length > 0 && slots.has('default')) {
    const rendered = [];
    for (const item of items) rendered.push(await slots.render('default', [item]));
    parts.itemsHtml = rendered.join('');
  } else if (items.length === 0 && slots.has('empty')) {
    parts.emptyHtml = await slots.render('empty');
  }
  return (neutral ? renderLinkbacksHtml : renderPingbacksHtml)(all, options, parts);
}

/** `<PingbackCount />` and `<LinkbackCount />`: the count (of `kind`), in words with `label`, or the slot's markup. */
export async function countHtml(component, props, slots) {
  const neutral = component === 'LinkbackCount';
  const { url, ...request } = props;
  const { label, locale, kind } = prefixed(component, () => resolveCountOptions(request));
  const count = pingbackCount(url, kind);
  if (slots.has('default')) {
    const inner = await slots.render('default', [count]);
    return `<span class="pingback-count" data-count="${count}"${kind ? ` data-kind="${kind.join(' ')}"` : ''}>${inner}</span>`;
  }
  return renderPingbackCountHtml(count, { label, locale, kind, fallback: neutral ? RESPONSE_WORDS : PINGBACK_WORDS });
}
