import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { startStack, type TestStack } from '../support/app.ts';
import { aContact, aTenant, type TestTenant } from '../support/factories.ts';
import { entities, GLOBAL_ENTITIES, tenantScopedEntities } from '../../entities/index.ts';
import { ContactSchema } from '../../entities/Contact.ts';
import { LeadSchema } from '../../entities/Lead.ts';
import { tenantEm } from '../../lib/db.ts';

/** Tenancy by construction: which tables are scoped, and keys that keep references inside a tenant. */
let stack: TestStack;
let a: TestTenant;
let b: TestTenant;
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { RATE_LIMIT_PER_MINUTE: '1000' } });
  [a, b] = [await aTenant(stack.http), await aTenant(stack.http)];
});
afterAll(() => stack.close());

describe('tenant scoping', () => {
  it('scopes every entity with a tenant, however it gets it, and leaves only the listed global tables unscoped', () => {
    const concrete = entities.filter((e) => !e.meta.abstract).map((e) => e.meta.className);
    const scoped = tenantScopedEntities.map((e) => e.meta.className);
    expect(concrete.filter((name) => !scoped.includes(name)).sort()).toEqual([...GLOBAL_ENTITIES].sort());
    // From the ORM's discovered metadata too: a `tenant` property means the filter applies.
    for (const meta of stack.orm.getMetadata().getAll().values()) {
      if (meta.abstract || !concrete.includes(meta.className)) continue;
      expect({ entity: meta.className, scoped: scoped.includes(meta.className) }).toEqual({ entity: meta.className, scoped: 'tenant' in meta.properties });
    }
  });

  it('has a same-tenant composite key on every reference between tenant-owned tables', async () => {
    const scoped = new Set(tenantScopedEntities.map((e) => e.meta.className));
    const keys: Array<{ tbl: string; cols: string; target: string; tcols: string }> = await stack.orm.em.getConnection().execute(`
      select c.conrelid::regclass::text as tbl, c.confrelid::regclass::text as target,
             (select string_agg(a.attname, ',' order by k.n) from unnest(c.conkey) with ordinality k(att, n) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.att) as cols,
             (select string_agg(a.attname, ',' order by k.n) from unnest(c.confkey) with ordinality k(att, n) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.att) as tcols
      from pg_constraint c where c.contype = 'f'`);
    const missing: string[] = [];
    let checked = 0;
    for (const meta of stack.orm.getMetadata().getAll().values()) {
      if (!scoped.has(meta.className)) continue;
      for (const prop of Object.values(meta.properties)) {
        if (prop.kind !== 'm:1' || prop.name === 'tenant') continue;
        const target = [...stack.orm.getMetadata().getAll().values()].find((m) => m.className === prop.type);
        if (!target || !scoped.has(target.className)) continue;
        const column = prop.fieldNames[0];
        const found = keys.some((k) => k.tbl.replace(/"/g, '') === meta.tableName && k.cols === `tenant_id,${column}` && k.target.replace(/"/g, '') === target.tableName && k.tcols === 'tenant_id,id');
        checked++;
        if (!found) missing.push(`${meta.tableName}.${column} → ${target.tableName}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it('refuses, in the database itself, a lead pointing at another tenant\'s contact', async () => {
    const foreign = await aContact(stack.http, b.token);
    const own = await aContact(stack.http, a.token);
    const insert = (contactId: string) =>
      stack.orm.em.getConnection().execute(
        "insert into lead (id, created_at, updated_at, tenant_id, contact_id, title, source, status) values (gen_random_uuid(), now(), now(), ?, ?, 'x', 'manual', 'new')",
        [a.tenantId, contactId],
      );
    await expect(insert(foreign.id)).rejects.toThrow(/same_tenant_fk/);
    await expect(insert(own.id)).resolves.toBeDefined();

    // Through the ORM, a reference to another tenant's row fails on flush too.
    const em = tenantEm(stack.orm, a.tenantId);
    em.create(LeadSchema, { tenant: a.tenantId, contact: em.getReference(ContactSchema, foreign.id), title: 'sneaky', source: 'manual' });
    await expect(em.flush()).rejects.toBeInstanceOf(ForeignKeyConstraintViolationException);
  });

  it('answers a body naming another tenant\'s contact exactly as one naming no contact at all', async () => {
    const foreign = await aContact(stack.http, b.token);
    const strip = (r: { status: number; body: { error: { code: string; details: unknown } } }) => ({ status: r.status, code: r.body.error.code, details: r.body.error.details });
    const theirs = await stack.http.post('/api/v1/crm/leads', { token: a.token, body: { contact_id: foreign.id, title: 'x' } });
    const nobody = await stack.http.post('/api/v1/crm/leads', { token: a.token, body: { contact_id: '00000000-0000-4000-8000-000000000000', title: 'x' } });
    expect(strip(theirs)).toEqual(strip(nobody));
    expect(theirs.status).toBe(422);
  });
});
