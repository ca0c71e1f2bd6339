import { defineEntity, type EntityManager, type InferEntity, p } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '../lib/db.ts';
import { TENANT_FILTER } from '../lib/tenantFilter.ts';
import { normalizePhone } from '../lib/phone.ts';
import { contactSnapshot } from '../lib/snapshots.ts';
import { recordEvent } from './Event.ts';
import { TenantScopedSchema } from './base.ts';
import { CompanySchema, findOrCreateCompany, type Company } from './Company.ts';

/** The text `search` looks in (api/contacts/routes.ts); the same expression as its index, or the index goes unused. */
export const contactSearchText = (alias?: string) => {
  const col = (c: string) => (alias ? `${alias}."${c}"` : `"${c}"`);
  return ['name', 'email', 'phone', 'organization'].map((c) => `coalesce(${col(c)}, '')`).join(" || chr(1) || ");
};

export const ContactSchema = defineEntity({
  name: 'Contact',
  extends: TenantScopedSchema,
  indexes: [
    { properties: ['tenant', 'email'] },
    { properties: ['tenant', 'phone'] },
    { properties: ['tenant', 'createdAt'] },
    { properties: ['tenant', 'updatedAt'] },
    { properties: ['tenant', 'name'] },
    // `search` matches anywhere in name, email, phone or organization (ILIKE '%…%'): one
    // trigram index (pg_trgm) over the four, joined by a character no search can hold, so a
    // match never spans two fields. One index, not four: the planner priced four bitmap
    // scans OR-ed above a full scan and read all 100,000 contacts (bench:search).
    { name: 'contact_search_trgm_index', expression: `create index "contact_search_trgm_index" on "contact" using gin ((${contactSearchText()}) gin_trgm_ops)` },
    { name: 'contact_organization_trgm_index', expression: 'create index "contact_organization_trgm_index" on "contact" using gin ("organization" gin_trgm_ops)' },
  ],
  triggers: [
    // A number that texted STOP keeps its say over whichever contact holds it: a contact
    // created or given that number (by a person, triage, an import, a CRM sync) shows it as
    // opted out, as every send already treats it (optedOutSql). Never cleared here: only the
    // number's START lifts it (sms_opt_outs' trigger), as a phone written in another format
    // must not reopen a number that said STOP.
    {
      name: 'contact_number_opt_out',
      timing: 'before',
      events: ['insert', 'update'],
      forEach: 'row',
      when: '((new.phone IS NOT NULL) AND (NOT new.sms_opt_out))',
      body: 'if exists (select 1 from sms_opt_outs n where n.tenant_id = new.tenant_id and n.phone = new.phone) then new.sms_opt_out := true; end if; return new;',
    },
  ],
  properties: {
    name: p.string().length(200),
    email: p.string().length(320).nullable(),
    phone: p.string().length(32).nullable(),
    organization: p.string().length(200).nullable(),
    /** The company record behind `organization`, when there is one (seed 003). */
    company: () => p.manyToOne(CompanySchema).nullable().deleteRule('set null').index(),
    jobTitle: p.string().length(200).nullable(),
    notes: p.text().nullable(),
    tags: p.array().default([]),
    customFields: p.json<Record<string, unknown>>().onCreate(() => ({})),
    /** Set by STOP/UNSUBSCRIBE over SMS, or by its number having said so (trigger above); nothing may text this contact while true. */
    smsOptOut: p.boolean().default(false),
    /** Asked not to be called (on a call, or set by a person): no AI call dials this contact. */
    doNotCall: p.boolean().default(false),
    /** Deleted or archived in a synced CRM: kept, out of lists unless asked for (`archived=true`). */
    archivedAt: p.datetime().nullable(),
  },
});

export type Contact = InferEntity<typeof ContactSchema>;

export interface ContactHint {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  company?: string | null;
  jobTitle?: string | null;
}

/** The advisory-lock key of a contact's identity: whoever may create that contact takes it first (findOrCreateContact, the lead import). */
export const contactLockKey = (tenantId: string, email: string | null, phone: string | null) => `contact:${tenantId}:${email ?? phone}`;

/** Fills only what the contact lacks: what a person typed into the CRM wins over what a message or a file implies. */
export function fillContactGaps(contact: Contact, hint: { email: string | null; phone: string | null; organization: string | null }): void {
  contact.email ??= hint.email;
  contact.phone ??= hint.phone;
  contact.organization ??= hint.organization;
}

/** A new contact with its `contact.created` event, in the caller's unit of work. */
export function createContact(
  tx: EntityManager,
  tenantId: string,
  fields: { name: string; email: string | null; phone: string | null; organization: string | null; company: Company | null; jobTitle: string | null },
): Contact {
  const contact = tx.create(ContactSchema, { tenant: tenantId, ...fields });
  recordEvent(tx, { tenantId, type: 'contact.created', entityType: 'contact', entityId: contact.id, payload: { contact: contactSnapshot(contact) } });
  return contact;
}

/**
 * The tenant's contact with this email or phone, or a new one. Runs inside the caller's
 * transaction and takes a transaction-scoped advisory lock on the identity first, so two
 * messages from a new customer arriving together still make one contact.
 */
export async function findOrCreateContact(
  tx: EntityManager,
  tenantId: string,
  hint: ContactHint,
  options: { linkCompany?: boolean } = {},
): Promise<{ contact: Contact; created: boolean } | null> {
  const email = hint.email?.trim().toLowerCase() || null;
  const phone = normalizePhone(hint.phone);
  if (!email && !phone) return null;
  await tx.getConnection().execute('select pg_advisory_xact_lock(hashtext(?))', [contactLockKey(tenantId, email, phone)], 'all', tx.getTransactionContext());
  const or = [...(email ? [{ email }] : []), ...(phone ? [{ phone }] : [])];
  const existing = await tx.findOne(ContactSchema, { $or: or }, { orderBy: { createdAt: 'asc' } });
  if (existing) {
    fillContactGaps(existing, { email, phone, organization: hint.company ?? null });
    existing.jobTitle ??= hint.jobTitle ?? null;
    if (options.linkCompany && !existing.company && existing.organization) existing.company = await findOrCreateCompany(tx, tenantId, existing.organization);
    return { contact: existing, created: false };
  }
  // A person's own words (a CRM form, an import) name a company; a message's guess does not make one.
  const company = options.linkCompany && hint.company?.trim() ? await findOrCreateCompany(tx, tenantId, hint.company) : null;
  const contact = createContact(tx, tenantId, { name: hint.name?.trim() || email || phone || 'Unknown', email, phone, organization: hint.company ?? null, company, jobTitle: hint.jobTitle ?? null });
  return { contact, created: true };
}

/**
 * Whether nothing may text this address, as a SQL condition: the number itself texted STOP
 * (sms_opt_outs), or the contact, or any contact of the tenant with this number, opted out;
 * email has no such opt-out. `tenant`,
 * `channel`, `contactId` and `address` are SQL expressions, so a statement that loads the
 * recipient with the row naming it (a reminder's fire step) reads it in the same round trip.
 */
export function optedOutSql(x: { tenant: string; channel: string; contactId: string; address: string }): string {
  return `(${x.channel} <> 'email' and (exists (
    select 1 from contact o where o.tenant_id = ${x.tenant} and o.sms_opt_out and (o.id = ${x.contactId} or o.phone = ${x.address}))
    or exists (select 1 from sms_opt_outs n where n.tenant_id = ${x.tenant} and n.phone = ${x.address})))`;
}

/** optedOutSql for one address, in the caller's tenant (its EntityManager's filter) and transaction. */
export async function isOptedOut(em: SqlEntityManager, m: { channel: string; toAddress: string; contact?: { id: string } | null }): Promise<boolean> {
  if (m.channel === 'email') return false;
  const { tenantId } = em.getFilterParams<{ tenantId?: string }>(TENANT_FILTER);
  if (!tenantId) throw new Error('isOptedOut needs a tenant EntityManager (tenantEm)');
  const sql = optedOutSql({ tenant: '?::uuid', channel: '?', contactId: '?::uuid', address: '?' });
  // Parameters in the order the condition names them: channel, tenant, contact, address, then the number's tenant and address.
  const rows = await em.execute<Array<{ opted_out: boolean }>>(`select ${sql} as opted_out`, [m.channel, tenantId, m.contact?.id ?? null, m.toAddress, tenantId, m.toAddress]);
  return rows[0]?.opted_out === true;
}
