import type { FieldOwner, FieldValue, FieldValues } from './fieldMerge.ts';

/**
 * How each provider's objects map onto ours, per data type. Records are compared in the
 * provider's terms (its field names and values), so a mapping that loses detail (our five
 * open lead stages onto Salesforce's two "open" statuses) never reads as a change when
 * the provider hands back what we sent. Pure: the activities do the I/O around it.
 */
export const CRM_DATA_TYPES = ['contacts', 'leads', 'activities'] as const;
export type CrmDataType = (typeof CRM_DATA_TYPES)[number];
export type CrmProviderType = 'salesforce' | 'hubspot';

/** Our side of one record, by column: a contact, or a lead with its contact's fields. */
export type LocalValues = Record<string, FieldValue>;

export interface ObjectMapping {
  /** The provider's object: Salesforce sObject or HubSpot object type. */
  object: string;
  /** The provider's last-modified field, the incremental cursor. */
  modifiedField: string;
  /** Provider fields compared and written. */
  fields: readonly string[];
  /** Which of our fields each provider field feeds (what `field_owners` names). */
  localFieldOf: Readonly<Record<string, string>>;
  /** The provider's record as our values. */
  toLocal(remote: FieldValues): LocalValues;
  /** Our values in the provider's terms. */
  toRemote(local: LocalValues): FieldValues;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);
const lower = (v: unknown) => text(v)?.toLowerCase() ?? null;
const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : null;
};

/** "Jane van Dyke" → Jane / van Dyke: the first word is the given name; a single word is the surname (Salesforce requires one). */
export function splitName(name: FieldValue): { first: string | null; last: string | null } {
  const words = (text(name) ?? '').split(/\s+/).filter(Boolean);
  if (words.length === 0) return { first: null, last: null };
  if (words.length === 1) return { first: null, last: words[0] };
  return { first: words[0], last: words.slice(1).join(' ') };
}

export const joinName = (first: unknown, last: unknown): string | null => [text(first), text(last)].filter(Boolean).join(' ') || null;

/** Salesforce's standard Lead statuses and ours: the open ones share "Working - Contacted". */
const SF_LEAD_STATUS: Record<string, string> = {
  new: 'Open - Not Contacted',
  contacted: 'Working - Contacted',
  qualified: 'Working - Contacted',
  proposal: 'Working - Contacted',
  negotiation: 'Working - Contacted',
  won: 'Closed - Converted',
  lost: 'Closed - Not Converted',
};
function leadStatusFromSalesforce(status: unknown): string {
  const s = (text(status) ?? '').toLowerCase();
  if (s.includes('not converted') || s.includes('unqualified')) return 'lost';
  if (s.includes('converted')) return 'won';
  if (s.includes('working') || s.includes('contacted')) return 'contacted';
  if (s.includes('qualified')) return 'qualified';
  return 'new';
}

/** HubSpot's default sales pipeline stages and ours. */
const HS_DEAL_STAGE: Record<string, string> = {
  new: 'appointmentscheduled',
  contacted: 'appointmentscheduled',
  qualified: 'qualifiedtobuy',
  proposal: 'presentationscheduled',
  negotiation: 'contractsent',
  won: 'closedwon',
  lost: 'closedlost',
};
const HS_STAGE_TO_OURS: Record<string, string> = {
  appointmentscheduled: 'contacted',
  qualifiedtobuy: 'qualified',
  presentationscheduled: 'proposal',
  decisionmakerboughtin: 'proposal',
  contractsent: 'negotiation',
  closedwon: 'won',
  closedlost: 'lost',
};

const salesforceContact: ObjectMapping = {
  object: 'Contact',
  modifiedField: 'SystemModstamp',
  // A contact's company is an Account in Salesforce (a record of its own): `organization` stays ours.
  fields: ['FirstName', 'LastName', 'Email', 'Phone', 'Title'],
  localFieldOf: { FirstName: 'name', LastName: 'name', Email: 'email', Phone: 'phone', Title: 'job_title' },
  toLocal: (r) => ({ name: joinName(r.FirstName, r.LastName), email: lower(r.Email), phone: text(r.Phone), job_title: text(r.Title) }),
  toRemote: (l) => {
    const { first, last } = splitName(l.name);
    return { FirstName: first, LastName: last ?? text(l.email) ?? 'Unknown', Email: lower(l.email), Phone: text(l.phone), Title: text(l.job_title) };
  },
};

const salesforceLead: ObjectMapping = {
  object: 'Lead',
  modifiedField: 'SystemModstamp',
  fields: ['FirstName', 'LastName', 'Email', 'Phone', 'Company', 'Status', 'LeadSource', 'Description'],
  localFieldOf: { FirstName: 'contact_name', LastName: 'contact_name', Email: 'contact_email', Phone: 'contact_phone', Company: 'contact_organization', Status: 'status', LeadSource: 'source', Description: 'title' },
  toLocal: (r) => ({
    contact_name: joinName(r.FirstName, r.LastName),
    contact_email: lower(r.Email),
    contact_phone: text(r.Phone),
    contact_organization: text(r.Company),
    status: leadStatusFromSalesforce(r.Status),
    source: text(r.LeadSource)?.toLowerCase().slice(0, 50) ?? 'salesforce',
    title: text(r.Description)?.slice(0, 300) ?? (joinName(r.FirstName, r.LastName) ?? text(r.Company) ?? 'Salesforce lead'),
  }),
  toRemote: (l) => {
    const { first, last } = splitName(l.contact_name);
    return {
      FirstName: first,
      LastName: last ?? text(l.contact_email) ?? 'Unknown',
      Email: lower(l.contact_email),
      Phone: text(l.contact_phone),
      // Salesforce requires a company on a lead.
      Company: text(l.contact_organization) ?? '[not provided]',
      Status: SF_LEAD_STATUS[String(l.status)] ?? SF_LEAD_STATUS.new,
      LeadSource: text(l.source),
      Description: text(l.title),
    };
  },
};

const hubspotContact: ObjectMapping = {
  object: 'contacts',
  modifiedField: 'lastmodifieddate',
  fields: ['firstname', 'lastname', 'email', 'phone', 'company', 'jobtitle'],
  localFieldOf: { firstname: 'name', lastname: 'name', email: 'email', phone: 'phone', company: 'organization', jobtitle: 'job_title' },
  toLocal: (r) => ({ name: joinName(r.firstname, r.lastname), email: lower(r.email), phone: text(r.phone), organization: text(r.company), job_title: text(r.jobtitle) }),
  toRemote: (l) => {
    const { first, last } = splitName(l.name);
    return { firstname: first, lastname: last, email: lower(l.email), phone: text(l.phone), company: text(l.organization), jobtitle: text(l.job_title) };
  },
};

const hubspotDeal: ObjectMapping = {
  object: 'deals',
  modifiedField: 'hs_lastmodifieddate',
  fields: ['dealname', 'amount', 'dealstage'],
  localFieldOf: { dealname: 'title', amount: 'value', dealstage: 'status' },
  toLocal: (r) => ({ title: text(r.dealname)?.slice(0, 300) ?? 'HubSpot deal', value: num(r.amount), status: HS_STAGE_TO_OURS[text(r.dealstage) ?? ''] ?? 'new', source: 'hubspot' }),
  toRemote: (l) => ({ dealname: text(l.title), amount: num(l.value) === null ? null : String(num(l.value)), dealstage: HS_DEAL_STAGE[String(l.status)] ?? HS_DEAL_STAGE.new }),
};

const NOTE_TO_SUBTYPE: Record<string, string> = { call: 'Call', email: 'Email' };
const firstLine = (v: unknown) => (text(v) ?? '').split('\n')[0].slice(0, 255) || null;

/**
 * A lead's timeline note as a Salesforce Task on that Lead (`WhoId`). `lead_remote_id` is
 * the lead's Salesforce id, which the activities store reads from the leads' links: a Task
 * on a lead that is not synced has nowhere to go here, and a note of ours on such a lead
 * nowhere there.
 */
const salesforceTask: ObjectMapping = {
  object: 'Task',
  modifiedField: 'SystemModstamp',
  fields: ['Subject', 'Description', 'TaskSubtype', 'WhoId'],
  localFieldOf: { Subject: 'description', Description: 'description', TaskSubtype: 'note_type', WhoId: 'lead' },
  toLocal: (r) => ({
    description: text(r.Description) ?? text(r.Subject) ?? '',
    note_type: text(r.TaskSubtype)?.toLowerCase() === 'call' ? 'call' : text(r.TaskSubtype)?.toLowerCase() === 'email' ? 'email' : 'note',
    lead_remote_id: text(r.WhoId),
  }),
  toRemote: (l) => ({ Subject: firstLine(l.description), Description: text(l.description), TaskSubtype: NOTE_TO_SUBTYPE[String(l.note_type)] ?? 'Task', WhoId: text(l.lead_remote_id) }),
};

/**
 * A lead's timeline note as a HubSpot note associated to the lead's deal. The deal is an
 * association, not a property: the provider reads it into `deal_id` and writes it back as
 * the note's association (providers/crm/hubspot.ts).
 */
export const HUBSPOT_NOTE_DEAL = 'deal_id';
const hubspotNote: ObjectMapping = {
  object: 'notes',
  modifiedField: 'hs_lastmodifieddate',
  fields: ['hs_note_body', HUBSPOT_NOTE_DEAL],
  localFieldOf: { hs_note_body: 'description', [HUBSPOT_NOTE_DEAL]: 'lead' },
  toLocal: (r) => ({ description: text(r.hs_note_body) ?? '', note_type: 'note', lead_remote_id: text(r[HUBSPOT_NOTE_DEAL]) }),
  toRemote: (l) => ({ hs_note_body: text(l.description), [HUBSPOT_NOTE_DEAL]: text(l.lead_remote_id) }),
};

/** Which of our data types each provider syncs, and as what. */
const MAPPINGS: Record<CrmProviderType, Partial<Record<CrmDataType, ObjectMapping>>> = {
  salesforce: { contacts: salesforceContact, leads: salesforceLead, activities: salesforceTask },
  hubspot: { contacts: hubspotContact, leads: hubspotDeal, activities: hubspotNote },
};

export const supportsDataType = (provider: CrmProviderType, dataType: CrmDataType): boolean => Boolean(MAPPINGS[provider][dataType]);

export function mappingFor(provider: CrmProviderType, dataType: CrmDataType): ObjectMapping {
  const mapping = MAPPINGS[provider][dataType];
  if (!mapping) throw new Error(`${provider} does not sync ${dataType}`);
  return mapping;
}

export const dataTypesOf = (provider: CrmProviderType): CrmDataType[] => CRM_DATA_TYPES.filter((d) => supportsDataType(provider, d));

/** `field_owners` (our field names) in the provider's terms, for the merge. */
export function remoteOwners(mapping: ObjectMapping, owners: Readonly<Record<string, FieldOwner>> | undefined): Record<string, FieldOwner> {
  const out: Record<string, FieldOwner> = {};
  if (!owners) return out;
  for (const f of mapping.fields) {
    const owner = owners[mapping.localFieldOf[f]];
    if (owner) out[f] = owner;
  }
  return out;
}

/** The provider's record reduced to the mapped fields, with values normalised the way toRemote writes them. */
export function remoteValues(mapping: ObjectMapping, record: Record<string, unknown>): FieldValues {
  const raw: FieldValues = {};
  for (const f of mapping.fields) {
    const v = record[f];
    raw[f] = v === undefined || v === null || v === '' ? null : typeof v === 'number' || typeof v === 'boolean' ? v : String(v);
  }
  // Round-trip through our terms and back, so "10" and "10.00" or two spellings of a status compare equal.
  return mapping.toRemote(mapping.toLocal(raw));
}

/** Every local field name a provider field may be owned by, for validating `field_owners`. */
export function ownableFields(provider: CrmProviderType, dataType: CrmDataType): string[] {
  return [...new Set(Object.values(MAPPINGS[provider][dataType]?.localFieldOf ?? {}))];
}
