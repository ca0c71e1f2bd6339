import { z } from 'zod';
import { CompanySchema, companySearchText, type Company } from '../../entities/Company.ts';
import { ContactSchema } from '../../entities/Contact.ts';
import { LeadSchema } from '../../entities/Lead.ts';
import { notFound } from '../../lib/errors.ts';
import type { EntityManager } from '../../lib/db.ts';
import { listPageSql, SqlWhere, type ListSpec } from '../listSql.ts';
import { paginationSchema } from '../pagination.ts';
import { escapeLike, likePattern } from '../queries.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { companyColumns, companyDto } from './serialize.ts';
import { companyBody, companyDetailSchema, companyListQuery, companyParams, companySchema, companyUpdateBody } from './schema.ts';

const COMPANY_LIST: ListSpec<z.infer<typeof companyListQuery>['sort_by']> = {
  table: 'companies',
  sortColumns: { created_at: 'created_at', updated_at: 'updated_at', name: 'name' },
  columns: companyColumns,
};

function assignCompany(c: Partial<Company>, body: z.infer<typeof companyUpdateBody>): void {
  if (body.name !== undefined) c.name = body.name;
  if (body.domain !== undefined) c.domain = body.domain;
  if (body.industry !== undefined) c.industry = body.industry;
  if (body.size !== undefined) c.size = body.size;
  if (body.address !== undefined) c.address = body.address;
  if (body.phone !== undefined) c.phone = body.phone;
  if (body.website !== undefined) c.website = body.website;
  if (body.notes !== undefined) c.notes = body.notes;
}

async function detail(em: EntityManager, c: Company) {
  const [contacts, leads] = await Promise.all([em.count(ContactSchema, { company: c.id }), em.count(LeadSchema, { company: c.id })]);
  return one({ ...companyDto(c), contacts_count: contacts, leads_count: leads });
}

const updateRoute = (method: 'put' | 'patch') =>
  route({
    method,
    path: '/crm/companies/:id',
    tag: 'companies',
    summary: method === 'put' ? 'Update a company' : 'Update some fields of a company',
    params: companyParams,
    body: companyUpdateBody,
    response: dataSchema(companyDetailSchema),
    handler: async (ctx, { params, body }) => {
      const em = ctx.state.em;
      const company = await em.findOne(CompanySchema, params.id);
      if (!company) throw notFound('Company');
      assignCompany(company, body);
      // Contacts show the company's name as their organization; a rename follows them.
      if (body.name !== undefined) await em.nativeUpdate(ContactSchema, { company: company.id }, { organization: body.name });
      await em.flush();
      return detail(em, company);
    },
  });

/** Seed 003's companies: contacts and leads link to one; a lead naming a new company makes it. */
export const companyRoutes: RouteDef[] = [
  route({
    method: 'post',
    answerWithWork: true,
    path: '/crm/companies',
    tag: 'companies',
    summary: 'Create a company (its name, and its domain if given, are unique in the tenant: 409 DUPLICATE otherwise)',
    body: companyBody,
    status: 201,
    response: dataSchema(companyDetailSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      const company = em.create(CompanySchema, { tenant: caller.tenantId, name: body.name });
      assignCompany(company, body);
      await em.flush();
      return one({ ...companyDto(company), contacts_count: 0, leads_count: 0 });
    },
  }),
  route({
    method: 'get',
    path: '/crm/companies',
    tag: 'companies',
    summary: 'List companies (filters: search in name and domain, industry, size, domain)',
    query: companyListQuery,
    response: z.object({ data: z.array(companySchema), pagination: paginationSchema }),
    handler: async (ctx, { query, caller }) => {
      const where = new SqlWhere(caller.tenantId);
      // Name or domain, through their one trigram index (entities/Company.ts).
      if (query.search) where.and(`${companySearchText('e')} ilike ${where.value(likePattern(query.search))}`);
      if (query.industry) where.and(`e.industry ilike ${where.value(escapeLike(query.industry))}`);
      if (query.size) where.and(`e.size = ${where.value(query.size)}`);
      if (query.domain) where.and(`e.domain = ${where.value(query.domain.toLowerCase())}`);
      return listPageSql(ctx.deps.sql, COMPANY_LIST, where, query, Boolean(query.search));
    },
  }),
  route({
    method: 'get',
    path: '/crm/companies/:id',
    tag: 'companies',
    summary: 'Get a company, with how many contacts and leads link to it',
    params: companyParams,
    response: dataSchema(companyDetailSchema),
    handler: async (ctx, { params }) => {
      const company = await ctx.state.em.findOne(CompanySchema, params.id);
      if (!company) throw notFound('Company');
      return detail(ctx.state.em, company);
    },
  }),
  updateRoute('put'),
  updateRoute('patch'),
  route({
    method: 'delete',
    path: '/crm/companies/:id',
    tag: 'companies',
    summary: 'Delete a company (admins and managers); its contacts and leads stay, unlinked',
    roles: ['admin', 'manager'],
    params: companyParams,
    status: 204,
    handler: async (ctx, { params }) => {
      const em = ctx.state.em;
      const company = await em.findOne(CompanySchema, params.id);
      if (!company) throw notFound('Company');
      await em.remove(company).flush();
      ctx.status = 204;
      return undefined;
    },
  }),
];
