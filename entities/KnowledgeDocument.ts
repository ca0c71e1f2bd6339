import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';

export const DOCUMENT_TYPES = ['text', 'url', 'file'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export const DOCUMENT_STATUSES = ['indexing', 'ready', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

/**
 * One knowledge-base document (seed 000): text given in the request, a URL fetched by
 * the indexing workflow, or an uploaded file (kept here so any worker can read it).
 * `revision` grows with every change, so a stale indexing run can tell it was overtaken
 * and leave the work to the newer one (`knowledge-index-<id>-<revision>`).
 */
export const KnowledgeDocumentSchema = defineEntity({
  name: 'KnowledgeDocument',
  tableName: 'knowledge_documents',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'createdAt'] }],
  uniques: [{ properties: ['tenant', 'requestKey'] }],
  properties: {
    title: p.string().length(255),
    type: p.enum(DOCUMENT_TYPES),
    sourceUrl: p.text().nullable(),
    filename: p.string().length(255).nullable(),
    /** text, markdown, html or pdf (lib/knowledge/extractText.ts): how the source becomes text. */
    format: p.string().length(16).nullable(),
    file: p.blob().lazy().nullable(),
    /** The document's plain text: given, or extracted by the indexing workflow. */
    content: p.text().default(''),
    status: p.enum(DOCUMENT_STATUSES).default('indexing'),
    error: p.text().nullable(),
    revision: p.integer().default(1),
    chunkCount: p.integer().default(0),
    /** Chunks embedded by the last indexing run (unchanged chunks keep their vectors). */
    chunksEmbedded: p.integer().default(0),
    embeddingModel: p.string().length(200).nullable(),
    indexedAt: p.datetime().nullable(),
    /** The creating request's Idempotency-Key, hashed with its caller and body (api/startWork.ts madeOnce). */
    requestKey: p.string().length(64).nullable(),
  },
});

export type KnowledgeDocument = InferEntity<typeof KnowledgeDocumentSchema>;
