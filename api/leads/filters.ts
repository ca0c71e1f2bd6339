import type { FilterQuery } from '@mikro-orm/core';
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
    where.$or = [{ title: { $ilike: like } }, { contact: { name: { $ilike: like } } }, { contact: { email: { $ilike: like } } }];
  }
  return where;
}
