/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** An href (or src) we are willing to print: http(s) only, whatever a stored record says. */
export function safeHref(url: string | undefined): string | null {
  const parsed = typeof url === 'string' && url !== '' ? URL.parse(url) : null;
  return parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:') ? parsed.href : null;
}

/**
 * A stranger's text, escaped and isolated in `<bdi>`: whatever direction controls it holds (records stored
 * before they were stripped on arrival may still hold some), they can't reorder the text around it.
 */
export function isolated(text: string): string {
  return `<bdi>${escapeHtml(text)}</bdi>`;
}
