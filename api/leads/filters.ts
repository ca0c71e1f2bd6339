import type { z } from 'zod';
import { contactSearchText } from '../../entities/Contact.ts';
import { SqlWhere } from '../listSql.ts';
import { likePattern } from '../queries.ts';
import type { leadListQuery } from './schema.ts';

export type LeadFilters = Omit<z.infer<typeof leadListQuery>, 'page' | 'per_page' | 'sort_by' | 'sort_order'>;

/** The list's filters over a lead row `e`, shared by the list and the CSV export so both see the same leads. */
export function leadWhere(tenantId: string, query: LeadFilters): SqlWhere {
  const where = new SqlWhere(tenantId);
  if (query.status) where.and(`e.status = ${where.value(query.status)}`);
  if (query.source) where.and(`e.source = ${where.value(query.source)}`);
  if (query.assigned_to) where.and(`e.assigned_to_id = ${where.value(query.assigned_to)}`);
  if (query.company_id) where.and(`e.company_id = ${where.value(query.company_id)}`);
  if (query.pipeline_id) where.and(`e.pipeline_id = ${where.value(query.pipeline_id)}`);
  if (query.stage_id) where.and(`e.stage_id = ${where.value(query.stage_id)}`);
  where.and(query.archived ? 'e.archived_at is not null' : 'e.archived_at is null');
  if (query.min_score !== undefined) where.and(`e.score >= ${where.value(query.min_score)}`);
  if (query.contact_email) where.and(`exists (select 1 from contact ce where ce.id = e.contact_id and ce.email = ${where.value(query.contact_email.toLowerCase())})`);
  if (query.search) {
    const like = where.value(likePattern(query.search));
    // The title, or the contact's name, email, phone or organization: each side through its
    // trigram index (entities/Lead.ts, entities/Contact.ts), joined as ids, so a search
    // reads the matches instead of every lead joined to its contact.
    where.and(
      `e.id in (select id from lead where title ilike ${like} union select id from lead where contact_id in (select id from contact where ${contactSearchText()} ilike ${like}))`,
    );
  }
  return where;
}
