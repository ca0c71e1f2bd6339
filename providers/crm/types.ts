import type { FieldValues } from '../../lib/crm/fieldMerge.ts';
import type { ObjectMapping } from '../../lib/crm/mappings.ts';

/** One of the provider's records: its id, when it last changed there, its fields. */
export interface RemoteRecord {
  id: string;
  modifiedAt: Date;
  fields: Record<string, unknown>;
  archived?: boolean;
}

/**
 * Where a pull stands, in the provider's order: Salesforce pages by (SystemModstamp, Id),
 * HubSpot by id within a fixed "changed since" window. Stored after every page, so a
 * retry resumes at the page it was on.
 */
export interface PullCursor {
  /** Records changed at or after this instant (the last run's high-water mark, less the overlap). */
  since: string | null;
  /** The last record passed: its modified time (Salesforce) and id. */
  ts: string | null;
  id: string | null;
}

export interface CrmQuota {
  /** Calls left today, and the day's allowance. */
  remaining: number;
  limit: number;
}

export interface DeletedWindow {
  ids: string[];
  /** false: the provider no longer remembers deletions back to `since`; reconcile in full. */
  complete: boolean;
}

export interface CrmClient {
  /** Checks the credentials for real (a login, an authenticated read); names the account. */
  test(): Promise<{ account: string }>;
  /** Pages of records changed from the cursor on, each with the cursor after it. */
  changes(mapping: ObjectMapping, from: PullCursor, pageSize: number): AsyncGenerator<{ records: RemoteRecord[]; cursor: PullCursor }>;
  /** Deletions between two instants (Salesforce getDeleted); HubSpot lists archived records instead. */
  deleted(mapping: ObjectMapping, since: Date, until: Date): Promise<DeletedWindow>;
  /** Pages of every live record id, for a full reconcile; `after` resumes. */
  allIds(mapping: ObjectMapping, after: string | null, pageSize: number): AsyncGenerator<{ ids: string[]; after: string }>;
  /** Creates records, answering their ids in order (null where one was refused, with why); `people`: each one's person (ensurePeople's ids) to associate. */
  create(mapping: ObjectMapping, records: FieldValues[], people?: Array<string | null>): Promise<Array<{ id: string | null; error?: string }>>;
  /** Updates records by id; answers why each refused one was refused. */
  update(mapping: ObjectMapping, records: Array<{ id: string; fields: FieldValues }>): Promise<Array<{ id: string; error?: string }>>;
  /** Records with these values in a field (a contact's email): finds a record a lost answer created. */
  findBy(mapping: ObjectMapping, field: string, values: string[]): Promise<Array<{ id: string; value: string }>>;
  /** The daily quota as last seen (a header on every answer), else asked for. */
  quota(): Promise<CrmQuota | null>;
  /**
   * Where a lead is two records (HubSpot: a deal and its contact): each record's associated
   * person, by record id, as our contact fields.
   */
  peopleOf?(mapping: ObjectMapping, ids: string[]): Promise<Map<string, Person>>;
  /** The provider's ids of these people (found by email, else created), in order; a lead's record is created associated to its person. */
  ensurePeople?(people: Person[]): Promise<Array<string | null>>;
}

/** A lead's person, in our terms. */
export interface Person {
  name: string | null;
  email: string | null;
  phone: string | null;
  organization: string | null;
}
