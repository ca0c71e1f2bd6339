import { z } from 'zod';
import { KnowledgeDocumentSchema, type KnowledgeDocument } from '../../entities/KnowledgeDocument.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { notFound, validationError } from '../../lib/errors.ts';
import { searchKnowledge } from '../../lib/knowledge/search.ts';
import type { RunRef } from '../../lib/workflowClient.ts';
import { knowledgeIndexStartRequest, knowledgeIndexWorkflowId } from '../../workflows/indexKnowledge.client.ts';
import type { AppContext } from '../context.ts';
import { listPageSql, SqlWhere, type ListSpec } from '../listSql.ts';
import { readUpload } from '../multipart.ts';
import { paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { madeOnce, runAskedFor, startOrDefer } from '../startWork.ts';
import { documentBody, documentDetailSchema, documentListQuery, documentParams, documentSchema, documentUpdateBody, reindexBody, searchBody, searchHitSchema } from './schema.ts';
import { documentColumns, documentDetail } from './serialize.ts';

const DOCUMENT_LIST: ListSpec<z.infer<typeof documentListQuery>['sort_by']> = {
  table: 'knowledge_documents',
  sortColumns: { created_at: 'created_at', updated_at: 'updated_at', title: 'title' },
  columns: documentColumns,
};

/** Uploads read as text: the extensions lib/knowledge/extractText.ts reads. */
const UPLOAD_EXTENSIONS = ['.txt', '.md', '.markdown', '.pdf', '.html', '.htm'];

/**
 * How long a write waits for its indexing run before answering: a short document is
 * searchable when the answer arrives (seed 000 uploads and searches straight after);
 * a long one answers `status: "indexing"` and its run goes on.
 */
const INDEX_WAIT_MS = 5_000;

/** The document's next revision, to be indexed again: its text or source changed, or someone asked. */
function nextRevision(doc: KnowledgeDocument): void {
  Object.assign(doc, { revision: doc.revision + 1, status: 'indexing', error: null });
}

/** The start row of the document's current revision's indexing run, in the unit of work. */
const queueIndexing = (ctx: AppContext, doc: KnowledgeDocument, opts: { handOver?: boolean } = {}) =>
  queueWorkflowStart(ctx.state.em, knowledgeIndexStartRequest({ tenantId: doc.tenant.id, documentId: doc.id, revision: doc.revision }, { requestId: ctx.state.requestId }), opts);

/** Commits the document's new revision with its indexing start row, starts it, and waits a little for it. */
async function indexRevision(ctx: AppContext, doc: KnowledgeDocument): Promise<RunRef> {
  const start = queueIndexing(ctx, doc);
  await ctx.state.em.flush();
  return awaitIndexing(ctx, doc, await startOrDefer(ctx, start));
}

/**
 * A new document, stored and indexed once however often its request is tried: a retry
 * after the API died between its commit and its answer finds the first try's document
 * and its first indexing run (api/startWork.ts madeOnce).
 */
async function addDocument(ctx: AppContext, create: (requestKey: string | null) => KnowledgeDocument) {
  return madeOnce(
    ctx,
    async (requestKey) => {
      const doc = await ctx.state.em.findOne(KnowledgeDocumentSchema, { requestKey });
      return doc && one(documentDetail(doc, await awaitIndexing(ctx, doc, await runAskedFor(ctx, knowledgeIndexWorkflowId(doc.id, 1)))));
    },
    async (requestKey) => {
      const doc = create(requestKey);
      return one(documentDetail(doc, await indexRevision(ctx, doc)));
    },
  );
}

/** Waits up to INDEX_WAIT_MS for the document's indexing run, and reads the document again when it finished. */
async function awaitIndexing(ctx: AppContext, doc: KnowledgeDocument, run: RunRef): Promise<RunRef> {
  if (run.run_id) {
    const finished = await ctx.deps.temporal.connection
      .withDeadline(Date.now() + INDEX_WAIT_MS, () => ctx.deps.temporal.workflow.getHandle(run.workflow_id, run.run_id ?? undefined).result())
      .then(() => true)
      .catch(() => false);
    if (finished) {
      await ctx.state.em.refresh(doc);
      run.status = 'completed';
    }
  }
  return run;
}

async function findDocument(ctx: AppContext, id: string): Promise<KnowledgeDocument> {
  const doc = await ctx.state.em.findOne(KnowledgeDocumentSchema, id);
  if (!doc) throw notFound('Document');
  return doc;
}

/** Seed 000's knowledge base: documents (text, URL, uploaded file) indexed by a workflow, and hybrid search. */
export const knowledgeRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/knowledge/documents',
    tag: 'knowledge',
    summary:
      'Add a document: `{title, content, type: "text"}` or `{title, type: "url", source_url}` (fetched through the outbound guard; HTML read as text). Indexed by the run `knowledge-index-<id>-r1`; the answer waits up to 5 s for it, so a short document answers `ready`',
    body: documentBody,
    status: 201,
    response: dataSchema(documentDetailSchema),
    handler: async (ctx, { body, caller }) =>
      addDocument(ctx, (requestKey) =>
        ctx.state.em.create(KnowledgeDocumentSchema, {
          tenant: caller.tenantId,
          title: body.title,
          type: body.type,
          sourceUrl: body.type === 'url' ? body.source_url : null,
          content: body.type === 'text' ? body.content : '',
          format: body.type === 'text' ? 'text' : null,
          requestKey,
        }),
      ),
  }),
  route({
    method: 'post',
    path: '/knowledge/documents/upload',
    tag: 'knowledge',
    summary: `Upload a document file (multipart field \`file\`; ${UPLOAD_EXTENSIONS.join(', ')}), with an optional \`title\` field (else the file name). Indexed like any document`,
    bodyType: 'multipart',
    maxUploadBytes: (config) => config.knowledge.maxBytes,
    documentedBody: z.object({
      file: z.string().meta({ format: 'binary', description: 'A .txt, .md, .pdf or .html file' }),
      title: z.string().optional().meta({ description: 'Defaults to the file name without its extension' }),
    }),
    status: 201,
    response: dataSchema(documentDetailSchema),
    handler: async (ctx, { caller }) => {
      const upload = await readUpload(ctx, 'file');
      const filename = upload.filename.slice(0, 255);
      const extension = /\.[^.]+$/.exec(filename.toLowerCase())?.[0] ?? '';
      if (!UPLOAD_EXTENSIONS.includes(extension)) {
        throw validationError('Invalid body', [{ field: 'body.file', message: `must be one of ${UPLOAD_EXTENSIONS.join(', ')} (got ${extension || 'no extension'})` }]);
      }
      if (upload.content.length === 0) throw validationError('Invalid body', [{ field: 'body.file', message: 'the file is empty' }]);
      const title = (upload.fields.title ?? '').trim() || filename.replace(/\.[^.]+$/, '') || filename;
      if (title.length > 255) throw validationError('Invalid body', [{ field: 'body.title', message: 'must be at most 255 characters' }]);
      return addDocument(ctx, (requestKey) => ctx.state.em.create(KnowledgeDocumentSchema, { tenant: caller.tenantId, title, type: 'file', filename, file: upload.content, content: '', requestKey }));
    },
  }),
  route({
    method: 'get',
    path: '/knowledge/documents',
    tag: 'knowledge',
    summary: 'List documents (filters: status, type), without their text',
    query: documentListQuery,
    response: z.object({ data: z.array(documentSchema), pagination: paginationSchema }),
    handler: async (ctx, { query, caller }) => {
      const where = new SqlWhere(caller.tenantId);
      if (query.status) where.and(`e.status = ${where.value(query.status)}`);
      if (query.type) where.and(`e.type = ${where.value(query.type)}`);
      return listPageSql(ctx.deps.sql, DOCUMENT_LIST, where, query);
    },
  }),
  route({
    method: 'get',
    path: '/knowledge/documents/:id',
    tag: 'knowledge',
    summary: 'Get a document with its text and indexing state',
    params: documentParams,
    response: dataSchema(documentDetailSchema),
    handler: async (ctx, { params }) => one(documentDetail(await findDocument(ctx, params.id))),
  }),
  ...(['put', 'patch'] as const).map((method) =>
    route({
      method,
      path: '/knowledge/documents/:id',
      tag: 'knowledge',
      summary: 'Change a document\'s title, text (text documents) or URL (URL documents). A new text or URL is indexed again; passages whose text did not change keep their vectors',
      params: documentParams,
      body: documentUpdateBody,
      response: dataSchema(documentDetailSchema),
      handler: async (ctx, { params, body }) => {
        const doc = await findDocument(ctx, params.id);
        if (body.content !== undefined && doc.type !== 'text') throw validationError('Invalid body', [{ field: 'body.content', message: `a ${doc.type} document's text comes from its ${doc.type === 'url' ? 'URL' : 'file'}` }]);
        if (body.source_url !== undefined && doc.type !== 'url') throw validationError('Invalid body', [{ field: 'body.source_url', message: 'only a URL document has a source_url' }]);
        if (body.title !== undefined) doc.title = body.title;
        // A URL sent again is fetched again (the page may have changed); the same text is not indexed again.
        const reindex = (body.content !== undefined && body.content !== doc.content) || body.source_url !== undefined;
        if (!reindex) {
          await ctx.state.em.flush();
          return one(documentDetail(doc));
        }
        if (body.content !== undefined) doc.content = body.content;
        if (body.source_url !== undefined) doc.sourceUrl = body.source_url;
        nextRevision(doc);
        return one(documentDetail(doc, await indexRevision(ctx, doc)));
      },
    }),
  ),
  route({
    method: 'post',
    path: '/knowledge/documents/:id/reindex',
    tag: 'knowledge',
    summary: 'Index a document again (a URL fetched again; every passage embedded with the current model if the model changed)',
    params: documentParams,
    status: 202,
    response: dataSchema(documentDetailSchema),
    handler: async (ctx, { params }) => {
      const doc = await findDocument(ctx, params.id);
      nextRevision(doc);
      return one(documentDetail(doc, await indexRevision(ctx, doc)));
    },
  }),
  route({
    method: 'post',
    path: '/knowledge/reindex',
    tag: 'knowledge',
    summary:
      'Index again every document whose passages were embedded by another model than the configured one (after EMBEDDINGS_MODEL changed), or every document with `all: true`; one run each. Search keeps finding their passages by text meanwhile',
    roles: ['admin', 'manager'],
    body: reindexBody,
    status: 202,
    response: dataSchema(z.object({ documents: z.number().int(), embedding_model: z.string() })),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      const model = ctx.deps.embeddings.model;
      const stale = await ctx.deps.sql<{ id: string }>(
        `select d.id from knowledge_documents d where d.tenant_id = $1 and d.status <> 'indexing'
           and ($2 or d.embedding_model is distinct from $3 or exists (select 1 from knowledge_chunks c where c.document_id = d.id and c.embedding_model <> $3))`,
        [caller.tenantId, body.all, model],
      );
      const docs = stale.length ? await em.find(KnowledgeDocumentSchema, { id: { $in: stale.map((r) => r.id) } }) : [];
      // Start rows commit with the new revisions; the outbox relay starts the runs, so a thousand documents make no thousand calls here.
      for (const doc of docs) {
        nextRevision(doc);
        queueIndexing(ctx, doc, { handOver: true });
      }
      await em.flush();
      return one({ documents: docs.length, embedding_model: model });
    },
  }),
  route({
    method: 'delete',
    path: '/knowledge/documents/:id',
    tag: 'knowledge',
    summary: 'Delete a document; its passages go with it, in the same transaction',
    params: documentParams,
    status: 204,
    handler: async (ctx, { params }) => {
      const doc = await findDocument(ctx, params.id);
      // The passages' foreign key cascades: one statement, one transaction.
      await ctx.state.em.remove(doc).flush();
      ctx.status = 204;
      return undefined;
    },
  }),
  route({
    method: 'post',
    path: '/knowledge/search',
    tag: 'knowledge',
    summary:
      'Hybrid search (seed 000): full text and vector similarity merged by reciprocal rank fusion. `similarity` is calibrated in [0, 1] (the share of the query\'s words a passage contains, or the calibrated cosine of their embeddings, whichever is larger); `min_similarity` leaves out passages below it',
    body: searchBody,
    response: dataSchema(z.array(searchHitSchema)),
    handler: async (ctx, { body, caller }) => one(await searchKnowledge(ctx.deps.sql, ctx.deps.embeddings, { tenantId: caller.tenantId, query: body.query, limit: body.limit, minSimilarity: body.min_similarity })),
  }),
];
