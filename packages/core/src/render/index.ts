// What page code needs to show pingbacks, and nothing that touches the network or the disk: safe to
// bundle into pages and components.
export { canonicalKey } from '../site/canonical.ts';
export type { PublicPingback } from '../receive/read-endpoint.ts';
export type { CountOptions, CountWords, RenderOptions, RenderParts } from './pingbacks-html.ts';
export { escapeHtml, formatDate, groupByKey, pingbackCountText, renderPingbackCountHtml, renderPingbackItem, renderPingbacksHtml, safeHref } from './pingbacks-html.ts';
