import { z } from 'zod';
import { DOCUMENT_STATUSES, DOCUMENT_TYPES } from '../../entities/KnowledgeDocument.ts';
import { listQuery } from '../pagination.ts';
import { runRefSchema } from '../runs/schema.ts';

const title = z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters');
/** A document's text: plenty for a handbook, bounded so one request cannot fill the database. */
const content = z.string().max(2_000_000, 'must be at most 2,000,000 characters').refine((s) => s.trim().length > 0, 'must not be empty');
const sourceUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);

/** Seed 000's two shapes: `{title, content, type: "text"}` and `{title, type: "url", source_url}`. */
export const documentBody = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('text'), title, content }),
    z.strictObject({ type: z.literal('url'), title, source_url: sourceUrl }),
  ],
  { error: 'type must be "text" (with content) or "url" (with source_url); upload files to /knowledge/documents/upload' },
);

/** What an update may change: the title, and the text or the URL of a document of that type. */
export const documentUpdateBody = z.strictObject({ title: title.optional(), content: content.optional(), source_url: sourceUrl.optional() });

export const documentParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });

export const documentListQuery = listQuery(['created_at', 'updated_at', 'title'] as const, 'created_at').extend({
  status: z.enum(DOCUMENT_STATUSES).optional(),
  type: z.enum(DOCUMENT_TYPES).optional(),
});

export const documentSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  source_url: z.string().nullable(),
  filename: z.string().nullable(),
  format: z.string().nullable().meta({ description: 'How the text was read: text, markdown, html or pdf' }),
  status: z.enum(DOCUMENT_STATUSES).meta({ description: '`indexing` until its passages are searchable, then `ready`; `failed` with `error` saying why' }),
  error: z.string().nullable(),
  revision: z.number().int().meta({ description: 'Grows with every change; each is indexed by the run `knowledge-index-<id>-r<revision>`' }),
  chunk_count: z.number().int(),
  chunks_embedded: z.number().int().meta({ description: 'Passages the last indexing embedded anew (the others were unchanged and kept their vectors)' }),
  embedding_model: z.string().nullable(),
  content_length: z.number().int().meta({ description: 'Size of the document\'s text in bytes (UTF-8)' }),
  indexed_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  run: runRefSchema.nullable().optional(),
});

export const documentDetailSchema = documentSchema.extend({ content: z.string() });

export const searchBody = z.strictObject({
  query: z.string().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters'),
  limit: z.number().int().min(1).max(50).default(5),
  min_similarity: z.number().min(0).max(1).default(0).meta({ description: 'Passages below this calibrated similarity are left out (see the README: how similarity is computed)' }),
});

export const searchHitSchema = z.object({
  content: z.string(),
  similarity: z.number().meta({ description: 'In [0, 1]: the larger of the share of the query\'s words the passage contains and the calibrated cosine of their embeddings' }),
  document_id: z.uuid(),
  title: z.string(),
  chunk_id: z.uuid(),
  position: z.number().int(),
  lexical_coverage: z.number(),
  semantic_score: z.number().nullable(),
  rank_score: z.number().meta({ description: 'Reciprocal rank fusion of the full-text and vector rankings: the order, not a threshold' }),
});

export const reindexBody = z.strictObject({ all: z.boolean().default(false).meta({ description: 'Every document, not only those embedded by another model' }) });
