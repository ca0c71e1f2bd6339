import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { z } from 'zod';
import { LeadSchema, type Lead } from '../../entities/Lead.ts';
import { IMPORT_STATUSES, LeadImportSchema, type LeadImport } from '../../entities/LeadImport.ts';
import { queueWorkflowStart } from '../../entities/WorkflowStart.ts';
import { notFound } from '../../lib/errors.ts';
import type { EntityManager } from '../../lib/db.ts';
import { EXPORT_COLUMNS, guardCell, type ExportRow } from '../../lib/leadCsv.ts';
import type { RunRef } from '../../lib/workflowClient.ts';
import { runRefSchema } from '../runs/schema.ts';
import { leadImportStartRequest, leadImportWorkflowId } from '../../workflows/importLeads.client.ts';
import { readUpload } from '../multipart.ts';
import { listPage, listQuery, paginationSchema } from '../pagination.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { madeOnce, runAskedFor, startOrDefer } from '../startWork.ts';
import { leadWhere } from './filters.ts';
import type { SqlWhere } from '../listSql.ts';
import type { DirectSql } from '../../lib/directSql.ts';
import { leadListQuery } from './schema.ts';

const importSchema = z.object({
  id: z.uuid(),
  filename: z.string(),
  size_bytes: z.number().int(),
  status: z.enum(IMPORT_STATUSES),
  rows_done: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  rejected: z.number().int(),
  /** The first 1,000 refused rows: the row as a spreadsheet numbers it (header = 1) and why. */
  rejections: z.array(z.object({ row: z.number().int(), reason: z.string() })),
  error: z.string().nullable(),
  created_at: z.string(),
  completed_at: z.string().nullable(),
  run: runRefSchema.nullable(),
});

const importDto = (i: LeadImport, run: RunRef | null = null) => ({
  id: i.id,
  filename: i.filename,
  size_bytes: i.sizeBytes,
  status: i.status,
  rows_done: i.rowsDone,
  created: i.created,
  updated: i.updated,
  rejected: i.rejected,
  rejections: i.rejections,
  error: i.error ?? null,
  created_at: i.createdAt.toISOString(),
  completed_at: i.completedAt?.toISOString() ?? null,
  run,
});

const exportQuery = leadListQuery.omit({ page: true, per_page: true, sort_by: true, sort_order: true }).extend({ format: z.enum(['csv']).default('csv') });

/** Leads read for export this many at a time, by id (keyset), the unit of work cleared between pages. */
const EXPORT_PAGE = 1_000;

function exportRow(l: Lead): ExportRow {
  return {
    id: l.id,
    title: l.title,
    status: l.status,
    source: l.source,
    value: l.value ?? null,
    currency: l.currency,
    score: l.score ?? null,
    stage_id: l.stageId ?? null,
    name: l.contact.name,
    email: l.contact.email ?? null,
    phone: l.contact.phone ?? null,
    company: l.company?.name ?? l.contact.organization ?? null,
    job_title: l.contact.jobTitle ?? null,
    industry: l.company?.industry ?? null,
    notes: l.notes ?? null,
    created_at: l.createdAt.toISOString(),
    updated_at: l.updatedAt.toISOString(),
  };
}

/** Pages of the matching ids in id order (the list's own filters), each read with its contact and company. */
async function* exportRows(sql: DirectSql, em: EntityManager, filters: SqlWhere): AsyncGenerator<string[]> {
  for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
    const values = [...filters.values, after];
    const ids = await sql<{ id: string }>(`select e.id from lead e where ${filters.text} and e.id > $${values.length} order by e.id limit ${EXPORT_PAGE}`, values);
    const page: Lead[] = ids.length ? await em.find(LeadSchema, { id: { $in: ids.map((r) => r.id) } }, { populate: ['contact', 'company'], orderBy: { id: 'asc' } }) : [];
    for (const lead of page) {
      const row = exportRow(lead);
      yield EXPORT_COLUMNS.map((c) => guardCell(row[c]));
    }
    if (ids.length < EXPORT_PAGE) return;
    after = ids[ids.length - 1].id;
    em.clear();
  }
}

const importParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });

/** Seed 004's file upload: CSV in (a workflow per file), CSV out (streamed). */
export const leadImportExportRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/crm/leads/import',
    tag: 'leads',
    summary:
      'Import leads from a CSV file (multipart field `file`), matched by header name (seed 004 fields, seed 000 `contact.*`, or an export). Answers at once with the import and its run (`lead-import-<id>`); rows are created, updated (same id, or same contact and source) or rejected with the row number and reason',
    bodyType: 'multipart',
    maxUploadBytes: (config) => config.leadImport.maxBytes,
    documentedBody: z.object({ file: z.string().meta({ format: 'binary', description: 'The CSV file; its first row names the columns.' }) }),
    status: 202,
    response: dataSchema(importSchema),
    handler: async (ctx, { caller }) => {
      const upload = await readUpload(ctx, 'file');
      const em = ctx.state.em;
      // A retry after the API died between its commit and its answer finds the first try's import and run.
      return madeOnce(
        ctx,
        async (requestKey) => {
          const imp = await em.findOne(LeadImportSchema, { requestKey });
          return imp && one(importDto(imp, await runAskedFor(ctx, leadImportWorkflowId(imp.id))));
        },
        async (requestKey) => {
          const imp = em.create(LeadImportSchema, {
            tenant: caller.tenantId,
            user: caller.userId,
            filename: upload.filename.slice(0, 255),
            sizeBytes: upload.content.length,
            contentHash: createHash('sha256').update(upload.content).digest('hex'),
            content: upload.content,
            requestKey,
          });
          const start = queueWorkflowStart(em, leadImportStartRequest({ tenantId: caller.tenantId, importId: imp.id }, { requestId: ctx.state.requestId }));
          await em.flush();
          return one(importDto(imp, await startOrDefer(ctx, start)));
        },
      );
    },
  }),
  route({
    method: 'get',
    path: '/crm/lead-imports',
    tag: 'leads',
    summary: 'The tenant\'s lead imports, newest first, with their counts',
    query: listQuery(['created_at'] as const, 'created_at'),
    response: z.object({ data: z.array(importSchema), pagination: paginationSchema }),
    handler: async (ctx, { query }) => listPage(ctx.state.em, LeadImportSchema, {}, query, { created_at: 'createdAt' }, (i) => importDto(i)),
  }),
  route({
    method: 'get',
    path: '/crm/lead-imports/:id',
    tag: 'leads',
    summary: 'One import: status, rows done, created, updated, rejected with row numbers and reasons (its run is `lead-import-<id>` in `/runs`)',
    params: importParams,
    response: dataSchema(importSchema),
    handler: async (ctx, { params }) => {
      const imp = await ctx.state.em.findOne(LeadImportSchema, params.id);
      if (!imp) throw notFound('Import');
      return one(importDto(imp));
    },
  }),
  route({
    method: 'get',
    path: '/crm/leads/export',
    tag: 'leads',
    summary: `Every lead matching the list's filters as CSV (columns ${EXPORT_COLUMNS.join(', ')}), streamed; cells that a spreadsheet would run as a formula start with '`,
    query: exportQuery,
    handler: async (ctx, { query, caller }) => {
      const { format: _format, ...filters } = query;
      const csv = stringify({ header: true, columns: [...EXPORT_COLUMNS] });
      Readable.from(exportRows(ctx.deps.sql, ctx.state.em, leadWhere(caller.tenantId, filters))).on('error', (err) => csv.destroy(err)).pipe(csv);
      ctx.set('Content-Disposition', `attachment; filename="leads-${new Date().toISOString().slice(0, 10)}.csv"`);
      ctx.type = 'text/csv; charset=utf-8';
      ctx.status = 200;
      ctx.body = csv;
      return undefined;
    },
  }),
];
