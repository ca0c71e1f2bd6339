import type { MikroORM } from './db.ts';

/** One statement sent as is; `values` bind to `$1, $2, …`. */
export type DirectSql = <R>(text: string, values?: readonly unknown[]) => Promise<R[]>;

/**
 * Statements for the hottest reads (the caller check on every request, list pages),
 * sent through the ORM's own `pg` pool without the ORM's query layers: those cost about
 * 0.3 ms a statement here (parameter inlining, the Kysely executor, logging), as much as
 * the round trip itself. Same pool, so same connections and same type parsers.
 */
export function directSql(orm: MikroORM): DirectSql {
  let pool: Awaited<ReturnType<ReturnType<MikroORM['em']['getConnection']>['getNativeClient']>> | undefined;
  return async <R>(text: string, values: readonly unknown[] = []) => {
    pool ??= await orm.em.getConnection().getNativeClient();
    const result = await pool.query(text, values as unknown[]);
    return result.rows as R[];
  };
}
