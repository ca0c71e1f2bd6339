import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createOrm, systemEm, type MikroORM } from '../../lib/db.ts';
import { executePrepared, statementOf } from '../../lib/preparedSql.ts';
import { cloneTestDatabase } from '../support/databases.ts';

// One pooled connection, so the session that prepared a statement is the one asked about it.
let db: Awaited<ReturnType<typeof cloneTestDatabase>>;
let orm: MikroORM;

beforeAll(async () => {
  db = await cloneTestDatabase();
  orm = createOrm({ url: db.url, poolMax: 1 });
  await systemEm(orm).execute(`create table prepared_probe (id uuid primary key, name text not null, at timestamptz not null, data jsonb not null)`);
});

afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

const insert = `insert into prepared_probe (id, name, at, data) values (?::uuid, ?::text, ?::timestamptz, ?::jsonb) returning to_jsonb(prepared_probe) as row`;
const read = `select to_jsonb(p) as row from prepared_probe p where p.name = ? and p.at = ?`;

describe('executePrepared', () => {
  it('runs a statement prepared once per connection, with the parameters the ORM would take', async () => {
    const at = new Date('2026-03-29T01:30:00.123Z');
    const id = randomUUID();
    const [inserted] = await executePrepared<{ row: { name: string; at: string; data: unknown } }>(systemEm(orm), insert, [id, "it's ?", at, JSON.stringify({ a: [1, 2] })]);
    expect(inserted.row).toMatchObject({ name: "it's ?", data: { a: [1, 2] } });
    // The row is found by its Date again, to the millisecond.
    expect(new Date(inserted.row.at).getTime()).toBe(at.getTime());
    const rows = await executePrepared<{ row: { id: string } }>(systemEm(orm), read, ["it's ?", at]);
    expect(rows.map((r) => r.row.id)).toEqual([id]);

    const prepared = await systemEm(orm).execute<Array<{ name: string; statement: string }>>(`select name, statement from pg_prepared_statements`);
    expect(prepared.map((p) => p.name).sort()).toEqual([statementOf(insert).name, statementOf(read).name].sort());
    expect(prepared.find((p) => p.name === statementOf(read).name)?.statement).toContain('p.name = $1 and p.at = $2');
  });

  it('keeps working after a migration adds a column to the table it reads', async () => {
    const at = new Date();
    await executePrepared(systemEm(orm), insert, [randomUUID(), 'before', at, '{}']);
    await systemEm(orm).execute(`alter table prepared_probe add column extra text not null default 'x'`);
    const [after] = await executePrepared<{ row: { name: string; extra: string } }>(systemEm(orm), read, ['before', at]);
    expect(after.row).toMatchObject({ name: 'before', extra: 'x' });
  });

  it("runs inside a transaction on the transaction's own connection", async () => {
    const em = systemEm(orm);
    const id = randomUUID();
    await em.begin();
    await executePrepared(em, insert, [id, 'rolled back', new Date(), '{}']);
    await em.rollback();
    const rows = await systemEm(orm).execute<Array<{ n: number }>>(`select count(*)::int as n from prepared_probe where id = ?`, [id]);
    expect(rows[0].n).toBe(0);
  });
});

describe('DATABASE_PREPARED_STATEMENTS=false', () => {
  it('runs the same statements through the simple protocol, preparing nothing', async () => {
    const plain = createOrm({ url: db.url, poolMax: 1, preparedStatements: false });
    try {
      const at = new Date();
      await executePrepared(systemEm(plain), insert, [randomUUID(), 'plain', at, '{}']);
      const rows = await executePrepared<{ row: { name: string } }>(systemEm(plain), read, ['plain', at]);
      expect(rows.map((r) => r.row.name)).toEqual(['plain']);
      expect(await systemEm(plain).execute(`select name from pg_prepared_statements`)).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
