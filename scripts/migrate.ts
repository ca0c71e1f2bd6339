/**
 * Runs the committed migrations (`npm run migrate`), or generates a new one from the
 * entity definitions (`npm run migration:create`). The schema is never synced at boot.
 */
import { createOrm } from '../lib/db.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required (npm start runs migrations against the embedded database itself).');
  process.exit(1);
}

const orm = createOrm({ url });
try {
  if (process.argv[2] === 'create') {
    const result = await orm.migrator.create(undefined, false, process.argv[3] === '--initial');
    console.log(result.fileName ? `created ${result.fileName}` : 'no changes: the schema matches the entities');
  } else {
    const applied = await orm.migrator.up();
    console.log(`migrations: ${applied.length} applied`);
  }
} finally {
  await orm.close();
}
