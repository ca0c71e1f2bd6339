import { raw, type FilterQuery } from '@mikro-orm/core';
import { contactSearchText } from '../../entities/Contact.ts';
import type { z } from 'zod';
import type { Lead } from '../../entities/Lead.ts';
import { likePattern } from '../queries.ts';
import type { leadListQuery } from './schema.ts';

export type LeadFilters = Omit<z.infer<typeof leadListQuery>, 'page' | 'per_page' | 'sort_by' | 'sort_order'>;

/** The list's filters as one query, shared by the list and the CSV export so both see the same leads. */
export function leadWhere(query: LeadFilters): FilterQuery<Lead> {
  const where: FilterQuery<Lead> = {};
  if (query.status) where.status = query.status;
  if (query.source) where.source = query.source;
  if (query.assigned_to) where.assignedTo = query.assigned_to;
  if (query.company_id) where.company = query.company_id;
  if (query.pipeline_id) where.pipeline = query.pipeline_id;
  if (query.stage_id) where.stageId = query.stage_id;
  if (query.min_score !== undefined) where.score = { $gte: query.min_score };
  if (query.contact_email) where.contact = { email: query.contact_email.toLowerCase() };
  if (query.search) {
    const like = likePattern(query.search);
    // The title, or the contact's name, email, phone or organization: each side through its
    // trigram index (entities/Lead.ts, entities/Contact.ts), joined as ids, so a search
    // reads the matches instead of every lead joined to its contact. The outer query keeps the tenant.
    Object.assign(where, {
      [raw(
        (alias) =>
          `${alias}."id" in (select "id" from "lead" where "title" ilike ? union select "id" from "lead" where "contact_id" in (select "id" from "contact" where ${contactSearchText()} ilike ?))`,
        [like, like],
      )]: true,
    });
  }
  return where;
}
