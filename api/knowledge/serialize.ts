import type { KnowledgeDocument } from '../../entities/KnowledgeDocument.ts';
import type { RunRef } from '../../lib/workflowClient.ts';
import { isoTime, type JsonColumns } from '../listSql.ts';

/** `documentDto` as SQL over a document row `e`, for the list: the text itself stays out of it. */
export const documentColumns: JsonColumns = [
  ['id', 'e.id'],
  ['title', 'e.title'],
  ['type', 'e.type'],
  ['source_url', 'e.source_url'],
  ['filename', 'e.filename'],
  ['format', 'e.format'],
  ['status', 'e.status'],
  ['error', 'e.error'],
  ['revision', 'e.revision'],
  ['chunk_count', 'e.chunk_count'],
  ['chunks_embedded', 'e.chunks_embedded'],
  ['embedding_model', 'e.embedding_model'],
  ['content_length', 'octet_length(e.content)'],
  ['indexed_at', `case when e.indexed_at is null then null else ${isoTime('e.indexed_at')} end`],
  ['created_at', isoTime('e.created_at')],
  ['updated_at', isoTime('e.updated_at')],
];

export function documentDto(d: KnowledgeDocument) {
  return {
    id: d.id,
    title: d.title,
    type: d.type,
    source_url: d.sourceUrl ?? null,
    filename: d.filename ?? null,
    format: d.format ?? null,
    status: d.status,
    error: d.error ?? null,
    revision: d.revision,
    chunk_count: d.chunkCount,
    chunks_embedded: d.chunksEmbedded,
    embedding_model: d.embeddingModel ?? null,
    content_length: Buffer.byteLength(d.content),
    indexed_at: d.indexedAt?.toISOString() ?? null,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}

export const documentDetail = (d: KnowledgeDocument, run?: RunRef | null) => ({ ...documentDto(d), content: d.content, ...(run !== undefined ? { run } : {}) });
