import { Readable } from 'node:stream';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { CsvError, parse } from 'csv-parse';
import type { MikroORM } from '../lib/db.ts';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import { firstStageId } from '../lib/pipelines.ts';
import { pgArray } from '../lib/pgArray.ts';
import { fieldFor, parseImportRow, type ImportField, type ImportRow } from '../lib/leadCsv.ts';
import { ContactSchema, contactLockKey, createContact, fillContactGaps, type Contact } from '../entities/Contact.ts';
import { CompanySchema, companyLockKey, type Company } from '../entities/Company.ts';
import { LockMode, raw } from '@mikro-orm/core';
import { leadSnapshot } from '../lib/snapshots.ts';
import { recordEvent } from '../entities/Event.ts';
import { LeadSchema, type Lead } from '../entities/Lead.ts';
import { LeadImportSchema, MAX_KEPT_REJECTIONS, type ImportRejection } from '../entities/LeadImport.ts';
import { PipelineSchema, type PipelineStage } from '../entities/Pipeline.ts';
import { rescoreLeads } from '../entities/leadScoring.ts';

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

interface PipelineFacts {
  id: string;
  stages: PipelineStage[];
}

/**
 * What a batch's rows may refer to, read up front in a few queries (after taking the same
 * advisory locks findOrCreateContact and findOrCreateCompany take, so an API request
 * making the same contact meanwhile waits): the leads named by id, the contacts with the
 * rows' emails and phones, their leads, and the companies named. Rows then resolve in
 * memory, and what they create joins the maps, so two rows for one person make one contact.
 */
class BatchLookup {
  leadsById = new Map<string, Lead>();
  contactsByEmail = new Map<string, Contact>();
  contactsByPhone = new Map<string, Contact>();
  /** `<contact id> <source>` → that contact's latest lead from that source. */
  leadsByContactSource = new Map<string, Lead>();
  companies = new Map<string, Company>();

  private tx: EntityManager;
  private tenantId: string;
  private pipeline: PipelineFacts | null;

  constructor(tx: EntityManager, tenantId: string, pipeline: PipelineFacts | null) {
    this.tx = tx;
    this.tenantId = tenantId;
    this.pipeline = pipeline;
  }

  async load(rows: ImportRow[]): Promise<void> {
    const { tx, tenantId } = this;
    const ctx = tx.getTransactionContext();
    const emails = [...new Set(rows.flatMap((r) => (r.email ? [r.email] : [])))];
    const phones = [...new Set(rows.flatMap((r) => (r.phone ? [r.phone] : [])))];
    const names = [...new Set(rows.flatMap((r) => (r.company ? [r.company.trim().toLowerCase()] : [])))];
    const keys = [...new Set([...rows.flatMap((r) => (r.email || r.phone ? [contactLockKey(tenantId, r.email, r.phone)] : [])), ...names.map((n) => companyLockKey(tenantId, n))])].sort();
    // Sorted, so two batches (or a batch and a request) never take them in opposite orders.
    if (keys.length) await tx.getConnection().execute('select count(pg_advisory_xact_lock(hashtext(k))) from unnest(?::text[]) as k', [pgArray(keys)], 'all', ctx);
    const ids = rows.flatMap((r) => (r.id ? [r.id] : []));
    for (const l of ids.length ? await tx.find(LeadSchema, { id: { $in: ids } }, { populate: ['contact', 'contact.company', 'pipeline'] }) : []) this.leadsById.set(l.id, l);
    if (emails.length || phones.length) {
      const or = [...(emails.length ? [{ email: { $in: emails } }] : []), ...(phones.length ? [{ phone: { $in: phones } }] : [])];
      for (const c of await tx.find(ContactSchema, { $or: or }, { populate: ['company'], orderBy: { createdAt: 'asc' } })) this.remember(c);
      const contactIds = [...new Set([...this.contactsByEmail.values(), ...this.contactsByPhone.values()].map((c) => c.id))];
      if (contactIds.length) {
        for (const l of await tx.find(LeadSchema, { contact: { $in: contactIds } }, { populate: ['contact', 'pipeline'], orderBy: { createdAt: 'asc' } })) this.leadsByContactSource.set(`${l.contact.id} ${l.source}`, l);
      }
    }
    if (names.length) {
      for (const c of await tx.find(CompanySchema, { [raw((alias) => `lower(${alias}."name")`)]: { $in: names } })) this.companies.set(c.name.toLowerCase(), c);
    }
  }

  private remember(c: Contact): void {
    if (c.email && !this.contactsByEmail.has(c.email)) this.contactsByEmail.set(c.email, c);
    if (c.phone && !this.contactsByPhone.has(c.phone)) this.contactsByPhone.set(c.phone, c);
  }

  private company(name: string): Company {
    const key = name.trim().toLowerCase();
    let company = this.companies.get(key);
    if (!company) {
      company = this.tx.create(CompanySchema, { tenant: this.tenantId, name: name.trim() });
      this.companies.set(key, company);
    }
    return company;
  }

  /** The row's contact: found (gaps filled, as findOrCreateContact does) or made. */
  private contact(row: ImportRow): Contact {
    const found = (row.email ? this.contactsByEmail.get(row.email) : undefined) ?? (row.phone ? this.contactsByPhone.get(row.phone) : undefined);
    if (found) {
      fillContactGaps(found, { email: row.email, phone: row.phone, organization: row.company });
      if (row.jobTitle) found.jobTitle = row.jobTitle;
      if (!found.company && found.organization) found.company = this.company(found.organization);
      this.remember(found);
      return found;
    }
    const contact = createContact(this.tx, this.tenantId, {
      name: row.name || row.email || row.phone || 'Unknown',
      email: row.email,
      phone: row.phone,
      organization: row.company,
      company: row.company ? this.company(row.company) : null,
      jobTitle: row.jobTitle,
    });
    this.remember(contact);
    return contact;
  }

  /** Writes one row: the lead its id names, else the contact's latest lead from the same source, updated; or a new lead. */
  apply(row: ImportRow): { lead: Lead; created: boolean } | { reason: string } {
    const byId = row.id ? this.leadsById.get(row.id) : undefined;
    if (row.id && !byId && !row.email && !row.phone) return { reason: 'id: no lead with this id, and no email or phone to make one' };
    const source = row.source ?? 'import';
    const contact = byId?.contact ?? this.contact(row);
    if (byId && row.name && contact.name !== row.name) contact.name = row.name;
    if (row.industry && contact.company && !contact.company.industry) contact.company.industry = row.industry;
    const existing = byId ?? this.leadsByContactSource.get(`${contact.id} ${source}`);
    const stages = existing ? (existing.pipeline?.stages ?? []) : (this.pipeline?.stages ?? []);
    if (row.stageId && !stages.some((s) => s.id === row.stageId)) return { reason: `stage_id: "${row.stageId}" is not a stage of the pipeline` };
    if (existing) {
      if (row.title) existing.title = row.title;
      if (row.status) existing.status = row.status;
      if (row.value !== null) existing.value = row.value;
      if (row.currency) existing.currency = row.currency;
      if (row.notes) existing.notes = row.notes;
      if (row.stageId) existing.stageId = row.stageId;
      existing.company ??= contact.company ?? null;
      return { lead: existing, created: false };
    }
    const pipeline = this.pipeline;
    const lead = this.tx.create(LeadSchema, {
      tenant: this.tenantId,
      contact,
      title: row.title ?? `${contact.name} (import)`,
      source,
      status: row.status ?? 'new',
      value: row.value,
      ...(row.currency ? { currency: row.currency } : {}),
      notes: row.notes,
      pipeline: pipeline?.id ?? null,
      stageId: row.stageId ?? (pipeline ? firstStageId(pipeline.stages) : null),
      company: contact.company ?? null,
    });
    recordEvent(this.tx, { tenantId: this.tenantId, type: 'lead.created', entityType: 'lead', entityId: lead.id, payload: { lead: leadSnapshot(lead, contact), message_id: null } });
    this.leadsByContactSource.set(`${contact.id} ${source}`, lead);
    return { lead, created: true };
  }
}

/** A Postgres text[] literal, each element quoted. */

async function defaultPipeline(tx: EntityManager): Promise<PipelineFacts | null> {
  const p = await tx.findOne(PipelineSchema, { isDefault: true });
  return p ? { id: p.id, stages: p.stages } : null;
}

export function createLeadImportActivities({ orm, batchRows = 500, rowsPerCall = 5_000 }: LeadImportDeps) {
  /**
   * One batch in one transaction, with the import row locked: the rows, the counts and the
   * new offset commit together, or none of them does. `from` is where this attempt read
   * from; if the stored offset has moved (another attempt got there first) nothing is written.
   */
  async function commitBatch(ref: ImportRef, from: number, batch: Parsed[], firstRow: number): Promise<boolean> {
    return tenantEm(orm, ref.tenantId).transactional(async (tx) => {
      const imp = await tx.findOneOrFail(LeadImportSchema, ref.importId, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (imp.byteOffset !== from) return false;
      const columns = imp.columns as (ImportField | null)[];
      const parsed = batch.map(({ record }, i) => ({ row: firstRow + i, parsed: parseImportRow(columns, record) }));
      const lookup = new BatchLookup(tx, ref.tenantId, await defaultPipeline(tx));
      await lookup.load(parsed.flatMap((p) => ('row' in p.parsed ? [p.parsed.row] : [])));
      const rejections: ImportRejection[] = [];
      const touched = new Set<Lead>();
      let created = 0;
      let updated = 0;
      for (const p of parsed) {
        const result = 'reason' in p.parsed ? p.parsed : lookup.apply(p.parsed.row);
        if ('reason' in result) {
          rejections.push({ row: p.row, reason: result.reason });
          continue;
        }
        if (result.created) created++;
        else updated++;
        touched.add(result.lead);
      }
      // Scored together: one query for the batch, after its rows are written.
      await rescoreLeads(tx, [...touched]);
      imp.created += created;
      imp.updated += updated;
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
