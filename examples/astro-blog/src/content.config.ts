import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { z } from 'astro/zod';

const posts = defineCollection({
  loader: glob({ pattern: '*.md', base: './src/content/posts' }),
  schema: z.object({
    title: z.string(),
    date: z.coerce.date(),
    summary: z.string(),
    draft: z.boolean().optional(),
    pingback: z.boolean().optional(),
    // `advertise: { webmention: false }`: the post takes pingbacks only (<PingbackMeta /> says so to the integration).
    advertise: z.object({ pingback: z.boolean().optional(), webmention: z.boolean().optional() }).strict().optional(),
  }),
});

export const collections = { posts };
