import type { PageInfo } from '@pingback/core/build';

/** What the plugin needs to remember of a template's data between the preprocessor and the transform. */
export interface TemplateFacts {
  tags: string[];
  exclusion?: 'noindex' | 'opt-out';
  /** `advertise: { webmention: false }`: the page announces its Pingback endpoint and no Webmention one. */
  pingbackOnly?: boolean;
  data: Record<string, unknown>;
}

/**
 * Reads tags, the front matter that silences a page (`pingback: false`, `draft: true`, `noindex: true`)
 * and the one that makes it take pingbacks only (`advertise: { webmention: false }`).
 */
export function templateFacts(data: Record<string, unknown>): TemplateFacts {
  const raw = data.tags;
  const tags = Array.isArray(raw) ? raw.filter((t): t is string => typeof t === 'string') : typeof raw === 'string' ? [raw] : [];
  const facts: TemplateFacts = { tags, data };
  if (data.noindex === true) facts.exclusion = 'noindex';
  else if (data.pingback === false || data.draft === true) facts.exclusion = 'opt-out';
  const advertise = data.advertise;
  if (typeof advertise === 'object' && advertise !== null && (advertise as { webmention?: unknown }).webmention === false) facts.pingbackOnly = true;
  return facts;
}

/** Input path globs (`./src/posts/**\/*.md`) as a test on `PageInfo.inputPath`. */
export function inputGlob(pattern: string): RegExp {
  const normalized = pattern.replace(/^\.\//, '');
  const source = normalized
    .split('/')
    .map((segment) => (segment === '**' ? '(?:[^/]+/)*' : `${segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}/`))
    .join('')
    .replace(/\/$/, '')
    .replace(/\(\?:\[\^\/\]\+\/\)\*$/, '.*');
  return new RegExp(`^(?:\\./)?${source}$`);
}

export function pageTags(page: PageInfo): string[] {
  const tags = page.data?.tags;
  return Array.isArray(tags) ? (tags as string[]) : [];
}
