import { MikroORM, type EntityManager, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import { withoutPreparedStatements } from './preparedSql.ts';
import { entities, tenantScopedEntities } from '../entities/index.ts';
import { TENANT_FILTER } from './tenantFilter.ts';

// Re-exported: the rest of the code names the filter through lib/db.ts.
export { TENANT_FILTER };
export const migrationsPath = fileURLToPath(new URL('../entities/migrations', import.meta.url));

export interface DbOptions {
  url: string;
  poolMax?: number;
  debug?: boolean;
  /** false: every statement through the ORM's simple protocol (a PgBouncer in transaction mode before 1.21 keeps no prepared statements). */
  preparedStatements?: boolean;
}

/**
 * How long an idle pooled connection is kept (pg closes them after 10 s by default). A new
 * one costs a SCRAM handshake at both ends and a fresh server backend whose caches start
 * cold, so closing them after 10 s made every burst after a quiet spell (reminders falling
 * due together, bench:reminders) open the pool again.
 */
export const POOL_IDLE_TIMEOUT_MS = 5 * 60_000;

export function ormOptions({ url, poolMax = 10, debug = false }: DbOptions): Options {
  return {
    clientUrl: url,
    entities,
    extensions: [Migrator],
    debug,
    pool: { max: poolMax, idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS },
    // An ORM query must never silently run without its tenant: the filter is on by
    // default and has no fallback, so forgetting `setFilterParams` is an error.
    filters: {
      [TENANT_FILTER]: {
        cond: (args: { tenantId?: string }) => {
          if (!args?.tenantId) throw new Error('tenant filter used without a tenantId');
          return { tenant: args.tenantId };
        },
        entity: tenantScopedEntities.map((e) => e.meta.className),
        default: true,
      },
    },
    // A populated or counted relation needs no join to re-check its tenant: every relation
    // between tenant rows is a same-tenant composite foreign key (test/api/tenancyKeys.test.ts),
    // so the row it points at has the caller's tenant already. Without this, counting a
    // tenant's leads joined contact, company, pipeline and user for each of 100,000 rows.
    autoJoinRefsForFilters: false,
    migrations: {
      path: migrationsPath,
      glob: '!(*.d).{js,ts}',
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: true,
      snapshotName: '.snapshot',
      emit: 'ts',
      silent: true,
    },
    // Explicit forks only: a global EM shared across requests would mix tenants' identity maps.
    allowGlobalContext: false,
    forceUtcTimezone: true,
  };
}

export function createOrm(options: DbOptions): MikroORM {
  const orm = new MikroORM(ormOptions(options));
  if (options.preparedStatements === false) withoutPreparedStatements(orm.em.getConnection());
  return orm;
}

/** A fresh unit of work that can only see one tenant's rows. */
export function tenantEm(orm: MikroORM | EntityManager, tenantId: string): EntityManager {
  const em = ('em' in orm ? orm.em : orm).fork({ clear: true });
  em.setFilterParams(TENANT_FILTER, { tenantId });
  return em;
}

/**
 * Query options for the few deliberate cross-tenant reads and writes (login by email,
 * refresh tokens before the caller is known, an email's uniqueness across tenants).
 * The only way to switch the tenant filter off: lint refuses `filters: false` anywhere
 * but here, so every such query is found by searching for CROSS_TENANT.
 */
export const CROSS_TENANT = { filters: false } as const;

/** A unit of work for the few cross-tenant lookups (login by email, routing an inbound number). */
export function systemEm(orm: MikroORM): EntityManager {
  const em = orm.em.fork({ clear: true });
  return em;
}

export type { MikroORM, EntityManager };
