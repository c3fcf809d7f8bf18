// What page code needs to show linkbacks, and nothing that touches the network or the disk: safe to
// bundle into pages and components.
export { canonicalKey } from '../site/canonical.ts';
export type { PublicPingback } from '../receive/read-endpoint.ts';
export type { LinkbackKind } from '../store/record.ts';
export type { AvatarMode } from './avatar.ts';
export { initials, renderAvatar } from './avatar.ts';
export type { CountHtmlOptions, CountOptions, CountRequest, CountWords } from './count.ts';
export {
  KIND_WORDS,
  PINGBACK_WORDS,
  RESPONSE_WORDS,
  countLinkbacks,
  isWords,
  pingbackCountText,
  renderPingbackCountHtml,
  resolveCountOptions,
} from './count.ts';
export { escapeHtml, safeHref } from './escape.ts';
export { RENDER_KINDS, checkKinds, isKind, kindOf, ofKinds } from './kinds.ts';
export type { FaceKind, GroupHeadings, RenderOptions, RenderParts, ResolvedRender, SectionTexts } from './linkbacks-html.ts';
export {
  PINGBACK_TEXTS,
  RESPONSE_TEXTS,
  formatDate,
  groupByKey,
  renderFaceItem,
  renderLinkbacksHtml,
  renderPingbackItem,
  renderPingbacksHtml,
  resolveRenderOptions,
} from './linkbacks-html.ts';
export { LINKBACKS_CSS } from './stylesheet.ts';
