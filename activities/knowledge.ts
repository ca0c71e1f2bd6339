import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { MikroORM } from '../lib/db.ts';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import { recordEvent } from '../entities/Event.ts';
import { KnowledgeDocumentSchema, type KnowledgeDocument } from '../entities/KnowledgeDocument.ts';
import { extractText, UnsupportedDocument } from '../lib/knowledge/extractText.ts';
import { splitIntoChunks } from '../lib/knowledge/chunks.ts';
import { guardedGet, OutboundError, OutboundRefused, type OutboundPolicy } from '../lib/outbound.ts';
import type { EmbeddingProvider } from '../providers/embeddings/types.ts';
import type { ReplyDrafter } from '../providers/llm/replyDrafter.ts';
import { directSql } from '../lib/directSql.ts';
import { pgArray, pgNumbers } from '../lib/pgArray.ts';
import { searchKnowledge } from '../lib/knowledge/search.ts';
import { quotedPassageReply } from '../lib/knowledge/quotedReply.ts';
import { MessageSchema, type SuggestedSource } from '../entities/Message.ts';
import { withHeartbeat } from './heartbeat.ts';
import type { KnowledgeIndexInput } from '../workflows/indexKnowledge.client.ts';

export interface KnowledgeDeps {
  orm: MikroORM;
  embeddings: EmbeddingProvider;
  /** OUTBOUND_ALLOWED_HOSTS: the same guard as webhooks, so a URL document cannot reach the private network. */
  policy: OutboundPolicy;
  maxBytes: number;
  fetchTimeoutMs: number;
  /** Texts per embeddings request (and per heartbeat). */
  batchSize?: number;
  get?: typeof guardedGet;
  /** Writes drafted replies when an LLM is configured; else the best passage is quoted. */
  drafter: ReplyDrafter | null;
  /** Passages below this similarity are not drafted from. */
  draftMinSimilarity: number;
}

export interface DraftOutcome {
  drafted: boolean;
  sources: number;
  /** `openai:<model>`, `quoted passage`, or why no draft was made. */
  by: string;
}

export interface EmbedOutcome {
  superseded: boolean;
  chunks_total: number;
  chunks_embedded: number;
  chunks_reused: number;
  embedding_model: string;
}

/** A source that will not work however often it is tried: the workflow fails the document with this reason. */
const refuse = (message: string) => ApplicationFailure.nonRetryable(message, 'KnowledgeSourceRefused');

const exec = <R>(tx: EntityManager, text: string, values: unknown[]) => tx.getConnection().execute<R[]>(text, values, 'all', tx.getTransactionContext());

function eventData(doc: Pick<KnowledgeDocument, 'id' | 'title' | 'type'>, revision: number) {
  return { document_id: doc.id, title: doc.title, type: doc.type, revision };
}

export function createKnowledgeActivities({ orm, embeddings, policy, maxBytes, fetchTimeoutMs, batchSize = 64, get = guardedGet, drafter, draftMinSimilarity }: KnowledgeDeps) {
  const sql = directSql(orm);
  /** The page at the document's URL as text; every refusal says what to fix. */
  async function fetchSource(url: string): Promise<{ text: string; format: string }> {
    let res;
    try {
      res = await get(url, {
        headers: { accept: 'text/html, text/markdown, text/plain, application/pdf;q=0.9, */*;q=0.1', 'user-agent': 'AI-Secretary-KnowledgeBase/1.0' },
        timeoutMs: fetchTimeoutMs,
        maxBodyBytes: maxBytes,
        policy,
      });
    } catch (err) {
      if (err instanceof OutboundRefused || (err instanceof OutboundError && err.kind === 'refused')) throw refuse(`${url} was refused: ${err.message}`);
      throw err;
    }
    if (res.status >= 300 && res.status < 400) throw refuse(`${url} answered ${res.status} (redirects are not followed; give the final address${res.headers.location ? `, ${res.headers.location}` : ''})`);
    // Rate limits and server errors may pass; anything else in 4xx will not.
    if (res.status === 429 || res.status >= 500) throw new Error(`${url} answered ${res.status}`);
    if (res.status >= 400) throw refuse(`${url} answered ${res.status}`);
    if (res.truncated) throw refuse(`${url} is larger than ${maxBytes} bytes (KNOWLEDGE_MAX_BYTES)`);
    return extractText({ bytes: res.body, contentType: res.headers['content-type'], filename: new URL(url).pathname });
  }

  return {
    /**
     * The document's text for this revision: a URL fetched through the outbound guard, an
     * upload extracted; text documents already have it. Written only if the revision is
     * still current, so a slow fetch never overwrites a newer edit.
     */
    async loadKnowledgeSource(ref: KnowledgeIndexInput): Promise<{ superseded: boolean }> {
      const em = tenantEm(orm, ref.tenantId);
      const doc = await em.findOne(KnowledgeDocumentSchema, ref.documentId, { populate: ['file'] });
      if (!doc || doc.revision !== ref.revision) return { superseded: true };
      if (doc.type === 'text') return { superseded: false };
      let extracted: { text: string; format: string };
      try {
        if (doc.type === 'url') extracted = await fetchSource(doc.sourceUrl!);
        else extracted = await extractText({ bytes: Buffer.from(doc.file ?? Buffer.alloc(0)), filename: doc.filename });
      } catch (err) {
        if (err instanceof UnsupportedDocument) throw refuse(err.message);
        throw err;
      }
      if (!extracted.text.trim()) throw refuse(doc.type === 'url' ? `${doc.sourceUrl} has no text` : `${doc.filename ?? 'the file'} has no text`);
      const updated = await em.nativeUpdate(KnowledgeDocumentSchema, { id: doc.id, revision: ref.revision }, { content: extracted.text, format: extracted.format });
      return { superseded: updated === 0 };
    },

    /**
     * Splits the text into passages and swaps them in in one transaction: a passage whose
     * text (sha256) and model are unchanged keeps its row and vector, so an edit embeds
     * only what it changed. Already done for this revision: answers what was stored.
     */
    async embedKnowledgeChunks(ref: KnowledgeIndexInput): Promise<EmbedOutcome> {
      const em = tenantEm(orm, ref.tenantId);
      const model = embeddings.model;
      const doc = await em.findOne(KnowledgeDocumentSchema, ref.documentId);
      const none = { chunks_total: 0, chunks_embedded: 0, chunks_reused: 0, embedding_model: model };
      if (!doc || doc.revision !== ref.revision) return { superseded: true, ...none };
      if (doc.status === 'ready') return { superseded: false, chunks_total: doc.chunkCount, chunks_embedded: doc.chunksEmbedded, chunks_reused: doc.chunkCount - doc.chunksEmbedded, embedding_model: doc.embeddingModel ?? model };
      const chunks = splitIntoChunks(doc.content);
      if (chunks.length === 0) throw refuse('The document has no text');

      const existing = await exec<{ id: string; content_hash: string }>(em, 'select id, content_hash from knowledge_chunks where document_id = ? and embedding_model = ?', [doc.id, model]);
      const keep = new Map<string, string[]>();
      for (const row of existing) keep.set(row.content_hash, [...(keep.get(row.content_hash) ?? []), row.id]);
      const kept: Array<{ id: string; position: number }> = [];
      const fresh: Array<{ position: number; content: string; contentHash: string }> = [];
      for (const chunk of chunks) {
        const id = keep.get(chunk.contentHash)?.shift();
        if (id) kept.push({ id, position: chunk.position });
        else fresh.push(chunk);
      }

      const vectors: number[][] = [];
      for (let at = 0; at < fresh.length; at += batchSize) {
        vectors.push(...(await embeddings.embed(fresh.slice(at, at + batchSize).map((c) => c.content), { signal: Context.current().cancellationSignal })));
        Context.current().heartbeat({ embedded: vectors.length, of: fresh.length });
      }

      return em.transactional(async (tx) => {
        const [current] = await exec<{ revision: number }>(tx, 'select revision from knowledge_documents where id = ? for update', [doc.id]);
        if (current?.revision !== ref.revision) return { superseded: true, ...none };
        const keptIds = kept.map((k) => k.id);
        await exec(tx, 'delete from knowledge_chunks where document_id = ? and not (id = any(?::uuid[]))', [doc.id, pgArray(keptIds)]);
        // Positions are unique per document only at commit (deferred), so passages may trade places.
        if (kept.length) {
          await exec(tx, 'update knowledge_chunks c set position = v.position, updated_at = now() from unnest(?::uuid[], ?::int[]) as v(id, position) where c.id = v.id', [pgArray(keptIds), pgArray(kept.map((k) => k.position))]);
        }
        if (fresh.length) {
          await exec(
            tx,
            `insert into knowledge_chunks (id, created_at, updated_at, tenant_id, document_id, position, content, content_hash, embedding, embedding_model)
             select v.id, now(), now(), ?, ?, v.position, v.content, v.hash, v.embedding::real[], ? from unnest(?::uuid[], ?::int[], ?::text[], ?::text[], ?::text[]) as v(id, position, content, hash, embedding)`,
            [ref.tenantId, doc.id, model, pgArray(fresh.map(() => randomUUID())), pgArray(fresh.map((c) => c.position)), pgArray(fresh.map((c) => c.content)), pgArray(fresh.map((c) => c.contentHash)), pgArray(vectors.map(pgNumbers))],
          );
        }
        const outcome = { superseded: false, chunks_total: chunks.length, chunks_embedded: fresh.length, chunks_reused: kept.length, embedding_model: model };
        await tx.nativeUpdate(KnowledgeDocumentSchema, { id: doc.id }, { status: 'ready', error: null, chunkCount: chunks.length, chunksEmbedded: fresh.length, embeddingModel: model, indexedAt: new Date() });
        recordEvent(tx, {
          tenantId: ref.tenantId,
          type: 'knowledge.document.indexed',
          entityType: 'knowledge_document',
          entityId: doc.id,
          payload: { ...eventData(doc, ref.revision), chunk_count: chunks.length, chunks_embedded: fresh.length, embedding_model: model },
        });
        return outcome;
      });
    },

    /**
     * A reply to an inbound message drafted from the knowledge base (triage's last step):
     * the message's closest passages, written up by the model when one is configured (the
     * quoted best passage when not, or when the model fails), stored on the message with
     * its sources for a person to send. Drafted once: a retry finds the draft and stops.
     */
    async draftKnowledgeReply(ref: { tenantId: string; messageId: string }): Promise<DraftOutcome> {
      const em = tenantEm(orm, ref.tenantId);
      const message = await em.findOne(MessageSchema, ref.messageId);
      if (!message) return { drafted: false, sources: 0, by: 'message gone' };
      if (message.suggestedResponse) return { drafted: true, sources: message.suggestedSources?.length ?? 0, by: 'already drafted' };
      if (message.category === 'spam') return { drafted: false, sources: 0, by: 'spam' };
      const text = [message.subject, message.content].filter(Boolean).join('\n').slice(0, 1000);
      const hits = await searchKnowledge(sql, embeddings, { tenantId: ref.tenantId, query: text, limit: 3, minSimilarity: draftMinSimilarity });
      if (hits.length === 0) return { drafted: false, sources: 0, by: 'no passage close enough' };
      let response: string | null = null;
      let by = 'quoted passage';
      if (drafter) {
        try {
          response = await withHeartbeat((signal) => drafter.draft({ message: text, customerName: message.customerName ?? null, passages: hits.map((h) => ({ title: h.title, content: h.content })) }, { signal }));
          by = drafter.name;
        } catch (err) {
          // The quoted passage still helps the person answering; the model's failure is logged, not fatal.
          log.warn('reply drafting by the model failed; quoting the best passage', { messageId: ref.messageId, error: err instanceof Error ? err.message : String(err) });
        }
      }
      if (!response) response = quotedPassageReply(hits[0]);
      const used = by === 'quoted passage' ? hits.slice(0, 1) : hits;
      const sources: SuggestedSource[] = used.map((h) => ({ document_id: h.document_id, title: h.title, chunk_id: h.chunk_id, similarity: h.similarity }));
      await em.nativeUpdate(MessageSchema, { id: message.id, suggestedResponse: null }, { suggestedResponse: response, suggestedSources: sources });
      return { drafted: true, sources: sources.length, by };
    },

    /** The document says why it could not be indexed (once, and only for its current revision). */
    async failKnowledgeDocument(ref: KnowledgeIndexInput, reason: string): Promise<void> {
      await tenantEm(orm, ref.tenantId).transactional(async (tx) => {
        const doc = await tx.findOne(KnowledgeDocumentSchema, { id: ref.documentId, revision: ref.revision, status: 'indexing' });
        if (!doc) return;
        doc.status = 'failed';
        doc.error = reason.slice(0, 2000);
        recordEvent(tx, { tenantId: ref.tenantId, type: 'knowledge.document.failed', entityType: 'knowledge_document', entityId: doc.id, payload: { ...eventData(doc, ref.revision), error: doc.error } });
      });
    },
  };
}

export type KnowledgeActivities = ReturnType<typeof createKnowledgeActivities>;
