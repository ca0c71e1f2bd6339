import type { Company } from '../../entities/Company.ts';
import { isoTime, type JsonColumns } from '../listSql.ts';

/** `companyDto` as SQL over a company row `e`, for the list (api/listSql.ts). */
export const companyColumns: JsonColumns = [
  ['id', 'e.id'],
  ['name', 'e.name'],
  ['domain', 'e.domain'],
  ['industry', 'e.industry'],
  ['size', 'e.size'],
  ['address', 'e.address'],
  ['phone', 'e.phone'],
  ['website', 'e.website'],
  ['notes', 'e.notes'],
  ['created_at', isoTime('e.created_at')],
  ['updated_at', isoTime('e.updated_at')],
];

export function companyDto(c: Company) {
  return {
    id: c.id,
    name: c.name,
    domain: c.domain ?? null,
    industry: c.industry ?? null,
    size: c.size ?? null,
    address: c.address ?? null,
    phone: c.phone ?? null,
    website: c.website ?? null,
    notes: c.notes ?? null,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
