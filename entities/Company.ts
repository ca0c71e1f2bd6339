import { defineEntity, type EntityManager, type InferEntity, p, raw } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';

export interface CompanyAddress {
  street?: string;
  city?: string;
  region?: string;
  postal_code?: string;
  country?: string;
}

/** The text `search` looks in (api/companies/routes.ts); the same expression as its index. */
export const companySearchText = (alias?: string) => {
  const col = (c: string) => (alias ? `${alias}."${c}"` : `"${c}"`);
  return `coalesce(${col('name')}, '') || chr(1) || coalesce(${col('domain')}, '')`;
};

/**
 * An organisation contacts work for and leads are sold to (seed 003). Its name is unique
 * per tenant, case aside, so "Acme" typed on a lead and "ACME" in an import are one company.
 */
export const CompanySchema = defineEntity({
  name: 'Company',
  tableName: 'companies',
  extends: TenantScopedSchema,
  indexes: [
    { name: 'companies_tenant_name_lower_unique', expression: 'create unique index "companies_tenant_name_lower_unique" on "companies" ("tenant_id", lower("name"))' },
    { name: 'companies_tenant_domain_unique', expression: 'create unique index "companies_tenant_domain_unique" on "companies" ("tenant_id", "domain") where "domain" is not null' },
    { name: 'companies_search_trgm_index', expression: `create index "companies_search_trgm_index" on "companies" using gin ((${companySearchText()}) gin_trgm_ops)` },
    { properties: ['tenant', 'industry'] },
  ],
  properties: {
    name: p.string().length(200),
    /** Lower-case host name (acme.com), no scheme or path. */
    domain: p.string().length(253).nullable(),
    industry: p.string().length(100).nullable(),
    /** A head-count band such as `11-50`. */
    size: p.string().length(50).nullable(),
    address: p.json<CompanyAddress>().nullable(),
    phone: p.string().length(32).nullable(),
    website: p.string().length(500).nullable(),
    notes: p.text().nullable(),
  },
});

export type Company = InferEntity<typeof CompanySchema>;

/** The advisory-lock key of a company's name (case aside): whoever may create that company takes it first. */
export const companyLockKey = (tenantId: string, name: string) => `company:${tenantId}:${name.trim().toLowerCase()}`;

/**
 * The tenant's company of this name (case aside), or a new one. Takes a transaction-scoped
 * advisory lock on the name first, so two leads naming a new company together make one.
 */
export async function findOrCreateCompany(tx: EntityManager, tenantId: string, name: string): Promise<Company> {
  const trimmed = name.trim();
  await tx.getConnection().execute('select pg_advisory_xact_lock(hashtext(?))', [companyLockKey(tenantId, trimmed)], 'all', tx.getTransactionContext());
  const existing = await tx.findOne(CompanySchema, { [raw((alias) => `lower(${alias}."name")`)]: trimmed.toLowerCase() });
  if (existing) return existing;
  // Written at once (inside the caller's transaction), so a second row naming it in the same
  // transaction (an import batch) finds it instead of making a twin.
  const company = tx.create(CompanySchema, { tenant: tenantId, name: trimmed });
  await tx.flush();
  return company;
}
