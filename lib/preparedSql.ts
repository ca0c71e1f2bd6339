import { createHash } from 'node:crypto';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { EntityManager } from './db.ts';

/**
 * `em.execute(sql, params)` as a named prepared statement, for the few statements every
 * reminder runs when it falls due. The ORM inlines the parameters and sends the text with
 * the simple protocol, so PostgreSQL parses and plans it anew each time: for the fire
 * step's read that was 0.4–1.0 ms of the server's CPU against 0.06–0.1 ms prepared. A
 * prepared statement is parsed once per pooled connection (the `pg` driver keeps it by
 * name) and its plan is cached by the server.
 *
 * The statement's result columns must not depend on a table's columns (no `t.*`): after a
 * migration adds one, a cached plan whose row type changed fails on every execution on that
 * connection. Inside a transaction it runs through the ORM on the transaction's connection.
 * `?` placeholders, as `em.execute` takes them; the text must hold no other `?`.
 */
export async function executePrepared<T extends object>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const connection = em.getConnection();
  if (em.isInTransaction() || unprepared.has(connection)) return em.execute<T[]>(sql, params);
  const statement = statementOf(sql);
  const pool = await (connection as PostgreSqlConnection).getNativeClient();
  const result = await pool.query<T>({ name: statement.name, text: statement.text, values: params });
  return result.rows;
}

/** Connections whose ORM was made with `preparedStatements: false` (DATABASE_PREPARED_STATEMENTS=false). */
const unprepared = new WeakSet<object>();

export function withoutPreparedStatements(connection: object): void {
  unprepared.add(connection);
}

interface Statement {
  name: string;
  text: string;
}

/** Each text's numbered form and name, computed once (a handful of texts, reused for ever). */
const statements = new Map<string, Statement>();

export function statementOf(sql: string): Statement {
  let statement = statements.get(sql);
  if (!statement) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    statement = { name: `aisec_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text };
    statements.set(sql, statement);
  }
  return statement;
}
