import { Readable } from 'node:stream';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { CsvError, parse } from 'csv-parse';
import type { MikroORM } from '../lib/db.ts';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import { fieldFor, parseImportRow, type ImportField, type ImportRow } from '../lib/leadCsv.ts';
import { leadSnapshot } from '../lib/snapshots.ts';
import { findOrCreateContact } from '../entities/Contact.ts';
import { recordEvent } from '../entities/Event.ts';
import { LeadSchema, type Lead } from '../entities/Lead.ts';
import { LeadImportSchema, MAX_KEPT_REJECTIONS, type ImportRejection } from '../entities/LeadImport.ts';
import { PipelineSchema } from '../entities/Pipeline.ts';
import { rescoreLead } from '../entities/leadScoring.ts';

export interface LeadImportDeps {
  orm: MikroORM;
  /** Rows written per transaction (and per heartbeat). */
  batchRows?: number;
  /** Rows one activity call handles before it hands back to the workflow (which records progress). */
  rowsPerCall?: number;
}

export interface ImportRef {
  tenantId: string;
  importId: string;
}

export interface ImportCounts {
  rows_done: number;
  created: number;
  updated: number;
  rejected: number;
  byte_offset: number;
}

export type ImportOutcome = ImportCounts & { done: boolean };

/** Read from the stored file this much at a time: memory stays flat however large the file. */
const CHUNK_BYTES = 1 << 20;

/** The stored file from `offset` on, a chunk at a time, straight from PostgreSQL. */
async function* fileFrom(em: EntityManager, importId: string, offset: number): AsyncGenerator<Buffer> {
  for (let at = offset; ; at += CHUNK_BYTES) {
    const [row] = await em.getConnection().execute<Array<{ part: Buffer }>>('select substring(content from ? for ?) as part from lead_imports where id = ?', [at + 1, CHUNK_BYTES, importId]);
    const part = row?.part;
    if (!part?.length) return;
    yield part;
    if (part.length < CHUNK_BYTES) return;
  }
}

interface Parsed {
  /** Where the next record starts, in bytes from the start of the file. */
  end: number;
  record: string[];
}

const csvParser = (bom: boolean) => parse({ info: true, bom, relax_column_count: true, skip_empty_lines: true, skip_records_with_empty_values: true, relax_quotes: true });

const counts = (i: { rowsDone: number; created: number; updated: number; rejected: number; byteOffset: number }): ImportCounts => ({
  rows_done: i.rowsDone,
  created: i.created,
  updated: i.updated,
  rejected: i.rejected,
  byte_offset: i.byteOffset,
});

/** The lead a row means: the one its id names, else the contact's latest lead from the same source. */
async function leadFor(tx: EntityManager, tenantId: string, row: ImportRow): Promise<{ lead: Lead | null; contact: Lead['contact'] } | { reason: string }> {
  if (row.id) {
    const byId = await tx.findOne(LeadSchema, row.id, { populate: ['contact'] });
    if (byId) return { lead: byId, contact: byId.contact };
    if (!row.email && !row.phone) return { reason: 'id: no lead with this id, and no email or phone to make one' };
  }
  const found = await findOrCreateContact(tx, tenantId, { name: row.name, email: row.email, phone: row.phone, company: row.company, jobTitle: row.jobTitle }, { linkCompany: true });
  if (!found) return { reason: 'needs an email or a phone' };
  const source = row.source ?? 'import';
  const lead = found.created ? null : await tx.findOne(LeadSchema, { contact: found.contact, source }, { orderBy: { createdAt: 'desc' }, populate: ['contact'] });
  return { lead, contact: found.contact };
}

/** Writes one row: the lead updated or created, its contact filled in. Returns what happened. */
async function applyRow(tx: EntityManager, tenantId: string, row: ImportRow, pipeline: Awaited<ReturnType<typeof defaultPipeline>>): Promise<'created' | 'updated' | { reason: string }> {
  const target = await leadFor(tx, tenantId, row);
  if ('reason' in target) return target;
  const contact = target.contact;
  if (row.name && contact.name !== row.name && target.lead) contact.name = row.name;
  if (row.jobTitle) contact.jobTitle = row.jobTitle;
  if (row.industry && contact.company && !contact.company.industry) contact.company.industry = row.industry;
  let lead = target.lead;
  const stageOk = (l: Lead | null, p: typeof pipeline) => !row.stageId || (l?.pipeline ?? p)?.stages.some((s) => s.id === row.stageId);
  if (!stageOk(lead, pipeline)) return { reason: `stage_id: "${row.stageId}" is not a stage of the pipeline` };
  if (lead) {
    if (row.title) lead.title = row.title;
    if (row.status) lead.status = row.status;
    if (row.value !== null) lead.value = row.value;
    if (row.currency) lead.currency = row.currency;
    if (row.notes) lead.notes = row.notes;
    if (row.stageId) lead.stageId = row.stageId;
    lead.company ??= contact.company ?? null;
  } else {
    lead = tx.create(LeadSchema, {
      tenant: tenantId,
      contact,
      title: row.title ?? `${contact.name} (import)`,
      source: row.source ?? 'import',
      status: row.status ?? 'new',
      value: row.value,
      ...(row.currency ? { currency: row.currency } : {}),
      notes: row.notes,
      pipeline,
      stageId: row.stageId ?? (pipeline ? ([...pipeline.stages].sort((a, b) => a.order - b.order)[0]?.id ?? null) : null),
      company: contact.company ?? null,
    });
    recordEvent(tx, { tenantId, type: 'lead.created', entityType: 'lead', entityId: lead.id, payload: { lead: leadSnapshot(lead, contact), message_id: null } });
  }
  await rescoreLead(tx, lead);
  return target.lead ? 'updated' : 'created';
}

const defaultPipeline = (tx: EntityManager) => tx.findOne(PipelineSchema, { isDefault: true });

export function createLeadImportActivities({ orm, batchRows = 500, rowsPerCall = 5_000 }: LeadImportDeps) {
  /**
   * One batch in one transaction, with the import row locked: the rows, the counts and the
   * new offset commit together, or none of them does. `from` is where this attempt read
   * from; if the stored offset has moved (another attempt got there first) nothing is written.
   */
  async function commitBatch(ref: ImportRef, from: number, batch: Parsed[], firstRow: number): Promise<boolean> {
    return tenantEm(orm, ref.tenantId).transactional(async (tx) => {
      const [locked] = await tx.getConnection().execute<Array<{ byte_offset: string }>>('select byte_offset from lead_imports where id = ? for update', [ref.importId], 'all', tx.getTransactionContext());
      if (Number(locked?.byte_offset) !== from) return false;
      const imp = await tx.findOneOrFail(LeadImportSchema, ref.importId);
      const pipeline = await defaultPipeline(tx);
      const rejections: ImportRejection[] = [];
      for (const [i, { record }] of batch.entries()) {
        const rowNumber = firstRow + i;
        const parsed = parseImportRow(imp.columns as (ImportField | null)[], record);
        const result = 'reason' in parsed ? parsed : await applyRow(tx, ref.tenantId, parsed.row, pipeline);
        if (result === 'created') imp.created++;
        else if (result === 'updated') imp.updated++;
        else rejections.push({ row: rowNumber, reason: result.reason });
      }
      imp.rejected += rejections.length;
      if (imp.rejections.length < MAX_KEPT_REJECTIONS) imp.rejections = [...imp.rejections, ...rejections].slice(0, MAX_KEPT_REJECTIONS);
      imp.rowsDone += batch.length;
      imp.byteOffset = batch[batch.length - 1].end;
      return true;
    });
  }

  /** Reads the header row once and stores how its columns map; the offset moves past it. */
  async function readHeader(ref: ImportRef): Promise<void> {
    const em = tenantEm(orm, ref.tenantId);
    const parser = Readable.from(fileFrom(em, ref.importId, 0)).pipe(csvParser(true));
    let header: Parsed | null = null;
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      header = { record, end: info.bytes };
      break;
    }
    parser.destroy();
    const imp = await em.findOneOrFail(LeadImportSchema, ref.importId);
    const fields = header?.record.map(fieldFor) ?? [];
    if (!fields.includes('email') && !fields.includes('phone') && !fields.includes('id')) {
      throw ApplicationFailure.nonRetryable(`The header row names no email, phone or id column (found: ${(header?.record ?? []).slice(0, 20).join(', ') || 'nothing'})`, 'BadImportFile');
    }
    imp.columns = fields;
    imp.byteOffset = header!.end;
    imp.status = 'running';
    await em.flush();
  }

  return {
    /**
     * Imports up to `rowsPerCall` rows from where the import stands, a batch per
     * transaction, heartbeating the offset after each. Safe to retry at any point: a batch
     * that did not commit is read again, one that did is not.
     */
    async importLeadRows(ref: ImportRef): Promise<ImportOutcome> {
      const em = tenantEm(orm, ref.tenantId);
      let imp = await em.findOneOrFail(LeadImportSchema, ref.importId);
      if (imp.status === 'completed' || imp.status === 'failed') return { ...counts(imp), done: true };
      if (!imp.columns) {
        await readHeader(ref);
        imp = await tenantEm(orm, ref.tenantId).findOneOrFail(LeadImportSchema, ref.importId);
      }
      const start = imp.byteOffset;
      let from = start;
      let rowNumber = imp.rowsDone + 2;
      let handled = 0;
      let batch: Parsed[] = [];
      const parser = Readable.from(fileFrom(em, ref.importId, start)).pipe(csvParser(false));
      const flush = async () => {
        if (!batch.length) return;
        const committed = await commitBatch(ref, from, batch, rowNumber);
        if (!committed) throw ApplicationFailure.retryable('Another attempt moved this import on; reading again from where it stands', 'ImportRaced');
        rowNumber += batch.length;
        handled += batch.length;
        from = batch[batch.length - 1].end;
        batch = [];
        Context.current().heartbeat({ byte_offset: from, row: rowNumber });
      };
      try {
        for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
          batch.push({ record, end: start + info.bytes });
          if (batch.length >= batchRows) {
            await flush();
            if (handled >= rowsPerCall) break;
          }
        }
        const finished = handled < rowsPerCall;
        await flush();
        if (finished) await tenantEm(orm, ref.tenantId).nativeUpdate(LeadImportSchema, { id: ref.importId }, { status: 'completed', completedAt: new Date() });
      } catch (err) {
        if (err instanceof CsvError) throw ApplicationFailure.nonRetryable(`The file is not valid CSV near row ${rowNumber + batch.length}: ${err.message}`, 'BadImportFile');
        throw err;
      } finally {
        parser.destroy();
      }
      const now = await tenantEm(orm, ref.tenantId).findOneOrFail(LeadImportSchema, ref.importId);
      return { ...counts(now), done: now.status === 'completed' };
    },

    /** Records why an import stopped for good (a file that is not CSV, no usable header). */
    async failLeadImport(ref: ImportRef, reason: string): Promise<void> {
      const em = tenantEm(orm, ref.tenantId);
      await em.nativeUpdate(LeadImportSchema, { id: ref.importId, status: { $ne: 'completed' } }, { status: 'failed', error: reason.slice(0, 2000), completedAt: new Date() });
    },
  };
}

export type LeadImportActivities = ReturnType<typeof createLeadImportActivities>;
