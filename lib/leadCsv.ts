import { z } from 'zod';
import { isCurrency, MAX_AMOUNT, toCents } from './money.ts';
import { normalizePhone } from './phone.ts';
import { LEAD_STATUSES, type LeadStatus } from '../entities/Lead.ts';

/**
 * Leads as CSV, both ways. Import matches columns by header name: seed 004's lead fields
 * (`first_name`, `last_name`, `email`, `phone`, `company`, `job_title`, `industry`,
 * `source`, `status`, `notes`), seed 000's nested contact (`contact.name`,
 * `contact.email`, …) and what the export writes, so an export imports back unchanged.
 */


export const IMPORT_FIELDS = ['id', 'title', 'first_name', 'last_name', 'name', 'email', 'phone', 'company', 'job_title', 'industry', 'source', 'status', 'value', 'currency', 'notes', 'stage_id'] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

const ALIASES: Record<string, ImportField> = {
  lead_id: 'id',
  lead_title: 'title',
  firstname: 'first_name',
  given_name: 'first_name',
  lastname: 'last_name',
  surname: 'last_name',
  family_name: 'last_name',
  full_name: 'name',
  contact_name: 'name',
  contact: 'name',
  e_mail: 'email',
  email_address: 'email',
  contact_email: 'email',
  phone_number: 'phone',
  mobile: 'phone',
  contact_phone: 'phone',
  organization: 'company',
  organisation: 'company',
  company_name: 'company',
  contact_company: 'company',
  position: 'job_title',
  contact_job_title: 'job_title',
  amount: 'value',
  deal_value: 'value',
  stage: 'stage_id',
  description: 'notes',
};

/** A header cell as a field: case, spaces, dots and dashes aside (`Contact.Email` is `email`); null when unknown (the column is ignored). */
export function fieldFor(header: string): ImportField | null {
  const key = header.trim().toLowerCase().replace(/[\s.\-/]+/g, '_').replace(/^_+|_+$/g, '');
  if ((IMPORT_FIELDS as readonly string[]).includes(key)) return key as ImportField;
  return ALIASES[key] ?? null;
}

/** What one row asks for, checked; the importer finds or makes the contact, company and lead. */
export interface ImportRow {
  id: string | null;
  title: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  company: string | null;
  jobTitle: string | null;
  industry: string | null;
  source: string | null;
  status: LeadStatus | null;
  value: number | null;
  currency: string | null;
  notes: string | null;
  stageId: string | null;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** Undoes the export's guard against CSV injection (a `'` before a leading `=`, `+`, `-`, `@`). */
const unguard = (v: string) => (v.startsWith("'") && FORMULA_START.test(v.slice(1)) ? v.slice(1) : v);

const emailCheck = z.email();

/** One record against the header's fields: the row, or why it was refused (a sentence naming the column). */
export function parseImportRow(fields: (ImportField | null)[], record: string[]): { row: ImportRow } | { reason: string } {
  const cell: Partial<Record<ImportField, string>> = {};
  fields.forEach((f, i) => {
    const v = record[i] === undefined ? '' : unguard(record[i].trim());
    if (f && v !== '' && cell[f] === undefined) cell[f] = v;
  });
  const tooLong = ([['title', 300], ['name', 200], ['first_name', 100], ['last_name', 100], ['company', 200], ['job_title', 200], ['industry', 100], ['source', 50], ['notes', 10_000], ['stage_id', 50]] as const).find(([f, max]) => (cell[f]?.length ?? 0) > max);
  if (tooLong) return { reason: `${tooLong[0]}: at most ${tooLong[1]} characters` };

  const email = cell.email?.toLowerCase() ?? null;
  if (email && (email.length > 320 || !emailCheck.safeParse(email).success)) return { reason: `email: "${cell.email!.slice(0, 100)}" is not an email address` };
  const phone = cell.phone ? normalizePhone(cell.phone) : null;
  if (cell.phone && !phone) return { reason: `phone: "${cell.phone.slice(0, 40)}" is not a phone number` };
  const id = cell.id ?? null;
  if (id && !z.uuid().safeParse(id).success) return { reason: 'id: must be a lead id (UUID) from an export, or empty' };
  if (!email && !phone && !id) return { reason: 'needs an email or a phone (or the id of an existing lead)' };

  let status: ImportRow['status'] = null;
  if (cell.status) {
    const s = cell.status.toLowerCase().replace(/[\s-]+/g, '_').replace(/^closed_/, '');
    if (!(LEAD_STATUSES as readonly string[]).includes(s)) return { reason: `status: "${cell.status.slice(0, 40)}" is not one of ${LEAD_STATUSES.join(', ')}` };
    status = s as LeadStatus;
  }
  let value: number | null = null;
  if (cell.value) {
    const n = Number(cell.value.replace(/[\s,]/g, ''));
    const cents = Number.isFinite(n) ? toCents(n) : null;
    if (cents === null || cents < 0 || cents > MAX_AMOUNT) return { reason: `value: "${cell.value.slice(0, 40)}" is not an amount between 0 and ${MAX_AMOUNT} in whole cents` };
    value = cents;
  }
  const currency = cell.currency?.toUpperCase() ?? null;
  if (currency && !isCurrency(currency)) return { reason: `currency: "${cell.currency!.slice(0, 10)}" is not an ISO 4217 code` };

  const name = cell.name ?? ([cell.first_name, cell.last_name].filter(Boolean).join(' ') || null);
  return {
    row: {
      id,
      title: cell.title ?? null,
      name,
      email,
      phone,
      company: cell.company ?? null,
      jobTitle: cell.job_title ?? null,
      industry: cell.industry ?? null,
      source: cell.source?.toLowerCase() ?? null,
      status,
      value,
      currency,
      notes: cell.notes ?? null,
      stageId: cell.stage_id ?? null,
    },
  };
}

/** The export's columns, in order; each is a field import understands. */
export const EXPORT_COLUMNS = ['id', 'title', 'status', 'source', 'value', 'currency', 'score', 'stage_id', 'name', 'email', 'phone', 'company', 'job_title', 'industry', 'notes', 'created_at', 'updated_at'] as const;
export type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string | number | null>;

/**
 * A cell a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return gets a leading `'` (OWASP's advice against CSV injection). Numbers
 * are left alone; import removes the guard again.
 */
export function guardCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  return FORMULA_START.test(v) ? `'${v}` : v;
}
