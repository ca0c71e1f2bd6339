import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { KnowledgeDocumentSchema } from './KnowledgeDocument.ts';

/**
 * A passage of a document, as search finds it. Written and read with SQL
 * (activities/knowledge.ts, lib/knowledge/searchSql.ts): `search_vector` is a generated
 * `tsvector` with a GIN index, `embedding` a `real[]` (no pgvector in the embedded
 * PostgreSQL), and the model that made it is stored beside it so a model change is seen.
 */
export const KnowledgeChunkSchema = defineEntity({
  name: 'KnowledgeChunk',
  tableName: 'knowledge_chunks',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['document', 'position'] }],
  properties: {
    document: () => p.manyToOne(KnowledgeDocumentSchema).deleteRule('cascade'),
    position: p.integer(),
    content: p.text(),
    /** sha256 of `content`: an unchanged passage keeps its vector on re-index. */
    contentHash: p.string().length(64),
    embedding: p.type('real[]').columnType('real[]'),
    embeddingModel: p.string().length(200),
  },
});

export type KnowledgeChunk = InferEntity<typeof KnowledgeChunkSchema>;
