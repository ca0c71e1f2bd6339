import type { CrmDataType } from '../../lib/crm/mappings.ts';
import { contactsStore } from './contacts.ts';
import { activitiesStore } from './leadNotes.ts';
import { leadsStore } from './leads.ts';
import type { LocalStore } from './store.ts';

// Our side of a CRM sync, one store per data type (store.ts says what a store does).
export { markRemoteArchived, writeLinks } from './links.ts';
export { sqlOf, type Link, type LinkWrite, type LocalRow, type LocalStore, type Scope, type Sql } from './store.ts';

const STORES: Record<CrmDataType, LocalStore> = { contacts: contactsStore, leads: leadsStore, activities: activitiesStore };
export const localStoreFor = (dataType: CrmDataType): LocalStore => STORES[dataType];
