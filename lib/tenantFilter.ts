/**
 * The name of the ORM filter that scopes every query to one tenant (lib/db.ts). A module of
 * its own so entities can read it without importing lib/db.ts, which imports every entity.
 */
export const TENANT_FILTER = 'tenant';
