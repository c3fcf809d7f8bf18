import { publicRecord } from '../receive/read-endpoint.ts';
import type { LinkbackRecord } from '../store/record.ts';
import { recordKind, recordProtocol } from '../store/record.ts';
import { safeHref } from '../render/escape.ts';

/** Which body a webhook gets: our own JSON, or the shape Slack's or Discord's incoming webhooks take. */
export type NotifyFormat = 'generic' | 'slack' | 'discord';
export const NOTIFY_FORMATS: readonly NotifyFormat[] = ['generic', 'slack', 'discord'];

/** The Standard Webhooks event type of a linkback that arrived (approved or pending). */
export const ARRIVAL_EVENT = 'linkback.received';

export interface ArrivalEvent {
  record: LinkbackRecord;
  /** The site's URL. */
  site: string;
  /** The moderation page, when it is on. */
  moderationUrl?: string;
}

/** The generic body: `type`, `timestamp` and `data` (the record's public fields, its status, the site and the moderation page). */
export function genericBody(event: ArrivalEvent): string {
  const { record } = event;
  return JSON.stringify({
    type: ARRIVAL_EVENT,
    timestamp: record.receivedAt,
    data: { ...publicRecord(record), status: record.status, site: event.site, moderationUrl: event.moderationUrl ?? null },
  });
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** One line naming what arrived: "A pending webmention (reply) on /posts/hello". */
function headline(record: LinkbackRecord): string {
  const kind = recordKind(record);
  return `A ${record.status === 'pending' ? 'pending' : 'new'} ${recordProtocol(record)}${kind === 'mention' ? '' : ` (${kind})`} on ${record.key}`;
}

// Slack's text format gives only &, < and > a meaning (and <!channel> is made of them): escaped, a
// stranger's title can neither mention anyone nor forge a link. Inside <url|label>, | and > end the URL.
const slackText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const slackUrl = (url: string) => url.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
function slackLink(url: string | undefined, label: string): string {
  const href = safeHref(url);
  return href ? `<${slackUrl(href)}|${slackText(label)}>` : slackText(label);
}

export function slackBody(event: ArrivalEvent): string {
  const { record } = event;
  const lines = [
    `*${slackText(headline(record))}*`,
    `${slackLink(record.source, clip(record.title || record.source, 200))}${record.author.name ? ` by ${slackText(clip(record.author.name, 100))}` : ''}`,
    `Source: ${slackText(record.source)}`,
  ];
  if (record.excerpt) lines.push(`> ${slackText(clip(record.excerpt, 300))}`);
  if (event.moderationUrl) lines.push(slackLink(event.moderationUrl, record.status === 'pending' ? 'Approve or reject it' : 'Moderation page'));
  return JSON.stringify({ text: lines.join('\n'), unfurl_links: false, unfurl_media: false });
}

// Discord reads Markdown in content and embed descriptions; escaped, a title can't format, link or
// mention, and `allowed_mentions: { parse: [] }` makes sure no @everyone reaches anyone.
const discordText = (text: string) => text.replace(/[\\*_~`|>#\-[\]()<@:!]/g, '\\$&');

export function discordBody(event: ArrivalEvent): string {
  const { record } = event;
  const source = safeHref(record.source);
  const embed: Record<string, unknown> = {
    title: clip(discordText(record.title || record.source), 256),
    description: clip(discordText(record.excerpt), 4096),
    fields: [
      { name: 'Source', value: clip(discordText(record.source), 1024) },
      { name: 'Post', value: clip(discordText(record.key), 1024), inline: true },
      { name: 'Status', value: record.status, inline: true },
    ],
    timestamp: record.receivedAt,
  };
  if (source) embed.url = source;
  if (record.author.name) embed.author = { name: clip(record.author.name, 256) };
  const content = `**${discordText(headline(record))}**${event.moderationUrl ? `\n${record.status === 'pending' ? 'Approve or reject it' : 'Moderation page'}: ${event.moderationUrl}` : ''}`;
  return JSON.stringify({ content: clip(content, 2000), embeds: [embed], allowed_mentions: { parse: [] } });
}

export function webhookBody(format: NotifyFormat, event: ArrivalEvent): string {
  return format === 'slack' ? slackBody(event) : format === 'discord' ? discordBody(event) : genericBody(event);
}
