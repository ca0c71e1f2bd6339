import { contactSnapshot } from '../../lib/snapshots.ts';
import { z } from 'zod';
import { ContactSchema, contactSearchText, type Contact } from '../../entities/Contact.ts';
import { recordEvent } from '../../entities/Event.ts';
import { notFound, validationError } from '../../lib/errors.ts';
import type { EntityManager } from '../../lib/db.ts';
import { CompanySchema } from '../../entities/Company.ts';
import { numberOptedOut } from '../../entities/SmsOptOut.ts';
import { paginationSchema } from '../pagination.ts';
import { listPageSql, SqlWhere, type ListSpec } from '../listSql.ts';
import { dataSchema, one, route, type RouteDef } from '../routing.ts';
import { likePattern } from '../queries.ts';
import { contactBody, contactListQuery, contactParams, contactSchema, contactUpdateBody } from './schema.ts';
import { contactColumns, contactDto } from './serialize.ts';

const CONTACT_LIST: ListSpec<z.infer<typeof contactListQuery>['sort_by']> = {
  table: 'contact',
  sortColumns: { created_at: 'created_at', updated_at: 'updated_at', name: 'name', email: 'email', phone: 'phone' },
  columns: contactColumns,
};

type ContactInput = z.infer<typeof contactUpdateBody>;

/** Request fields (snake_case) onto entity fields; only what was sent changes. */
async function assignContact(em: EntityManager, contact: Partial<Contact>, body: ContactInput): Promise<void> {
  if (body.company_id !== undefined) {
    const company = body.company_id ? await em.findOne(CompanySchema, body.company_id) : null;
    if (body.company_id && !company) throw validationError('Invalid body', [{ field: 'body.company_id', message: 'no such company' }]);
    contact.company = company;
    if (company && body.organization === undefined) contact.organization = company.name;
  }
  if (body.job_title !== undefined) contact.jobTitle = body.job_title;
  if (body.name !== undefined) contact.name = body.name;
  if (body.email !== undefined) contact.email = body.email;
  if (body.phone !== undefined) contact.phone = body.phone;
  // The database marks a contact given a number that said STOP (entities/Contact.ts); the
  // answer shows it too.
  if (body.phone && !contact.smsOptOut && (await numberOptedOut(em, body.phone))) contact.smsOptOut = true;
  if (body.organization !== undefined) contact.organization = body.organization;
  if (body.notes !== undefined) contact.notes = body.notes;
  if (body.tags !== undefined) contact.tags = [...new Set(body.tags)];
  if (body.custom_fields !== undefined) contact.customFields = body.custom_fields;
}

const updateRoute = (method: 'put' | 'patch') =>
  route({
    method,
    path: '/contacts/:id',
    tag: 'contacts',
    summary: method === 'put' ? 'Update a contact' : 'Update some fields of a contact',
    params: contactParams,
    body: contactUpdateBody,
    response: dataSchema(contactSchema),
    handler: async (ctx, { params, body, caller }) => {
      const em = ctx.state.em;
      const contact = await em.findOne(ContactSchema, params.id);
      if (!contact) throw notFound('Contact');
      await assignContact(em, contact, body);
      recordEvent(em, {
        tenantId: caller.tenantId,
        type: 'contact.updated',
        entityType: 'contact',
        entityId: contact.id,
        payload: { contact: contactSnapshot(contact), changed: Object.keys(body) },
      });
      await em.flush();
      return one(contactDto(contact));
    },
  });

export const contactRoutes: RouteDef[] = [
  route({
    method: 'post',
    answerWithWork: true,
    path: '/contacts',
    tag: 'contacts',
    summary: 'Create a contact',
    body: contactBody,
    status: 201,
    response: dataSchema(contactSchema),
    handler: async (ctx, { body, caller }) => {
      const em = ctx.state.em;
      const contact = em.create(ContactSchema, { tenant: caller.tenantId, name: body.name });
      await assignContact(em, contact, body);
      recordEvent(em, {
        tenantId: caller.tenantId,
        type: 'contact.created',
        entityType: 'contact',
        entityId: contact.id,
        payload: { contact: contactSnapshot(contact) },
      });
      await em.flush();
      return one(contactDto(contact));
    },
  }),

  route({
    method: 'get',
    path: '/contacts',
    tag: 'contacts',
    summary: 'List contacts (filters: search, organization, tag)',
    query: contactListQuery,
    response: z.object({ data: z.array(contactSchema), pagination: paginationSchema }),
    handler: async (ctx, { query, caller }) => {
      const where = new SqlWhere(caller.tenantId);
      // Name, email, phone or organization, through their one trigram index (entities/Contact.ts).
      if (query.search) where.and(`${contactSearchText('e')} ilike ${where.value(likePattern(query.search))}`);
      if (query.organization) where.and(`e.organization ilike ${where.value(likePattern(query.organization))}`);
      if (query.tag) where.and(`e.tags @> array[${where.value(query.tag)}]::text[]`);
      if (query.company_id) where.and(`e.company_id = ${where.value(query.company_id)}`);
      where.and(query.archived ? 'e.archived_at is not null' : 'e.archived_at is null');
      return listPageSql(ctx.deps.sql, CONTACT_LIST, where, query, Boolean(query.search || query.organization));
    },
  }),

  route({
    method: 'get',
    path: '/contacts/:id',
    tag: 'contacts',
    summary: 'Get a contact',
    params: contactParams,
    response: dataSchema(contactSchema),
    handler: async (ctx, { params }) => {
      const contact = await ctx.state.em.findOne(ContactSchema, params.id);
      if (!contact) throw notFound('Contact');
      return one(contactDto(contact));
    },
  }),

  updateRoute('put'),
  updateRoute('patch'),

  route({
    method: 'delete',
    path: '/contacts/:id',
    tag: 'contacts',
    summary: 'Delete a contact (admins and managers)',
    roles: ['admin', 'manager'],
    params: contactParams,
    status: 204,
    handler: async (ctx, { params, caller }) => {
      const em = ctx.state.em;
      const contact = await em.findOne(ContactSchema, params.id);
      if (!contact) throw notFound('Contact');
      recordEvent(em, {
        tenantId: caller.tenantId,
        type: 'contact.deleted',
        entityType: 'contact',
        entityId: contact.id,
        payload: { contact: contactSnapshot(contact) },
      });
      em.remove(contact);
      await em.flush();
      ctx.status = 204;
      return undefined;
    },
  }),
];
