/**
 * Runs the committed migrations (`npm run migrate`), or generates a new one from the
 * entity definitions (`npm run migration:create`). The schema is never synced at boot.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOrm, migrationsPath } from '../lib/db.ts';

/**
 * The same-tenant composite keys (Migration20261202203500) are written by hand: the
 * entities cannot declare a foreign key onto (tenant_id, id). A generated migration that
 * would drop them (or, in its down(), add them again) loses those lines here, so tenancy
 * is never undone by a schema diff.
 */
function keepTenantKeys(file: string) {
  const text = readFileSync(file, 'utf8');
  const kept = text
    .split('\n')
    .filter((line) => !/(drop|add) constraint "[a-z_]+(_same_tenant_fk|_tenant_id_id_unique)"/.test(line))
    .join('\n');
  if (kept !== text) {
    writeFileSync(file, kept);
    console.log('kept the same-tenant composite keys: removed the lines that would have dropped them');
  }
}

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required (npm start runs migrations against the embedded database itself).');
  process.exit(1);
}

const orm = createOrm({ url });
try {
  if (process.argv[2] === 'create') {
    const result = await orm.migrator.create(undefined, false, process.argv[3] === '--initial');
    if (result.fileName) keepTenantKeys(join(migrationsPath, result.fileName));
    console.log(result.fileName ? `created ${result.fileName}` : 'no changes: the schema matches the entities');
  } else {
    const applied = await orm.migrator.up();
    console.log(`migrations: ${applied.length} applied`);
  }
} finally {
  await orm.close();
}
