import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { readTestEnv } from './testEnv.ts';

/**
 * A fresh, migrated database of the test run's PostgreSQL, cloned from the template
 * globalSetup made (a file copy: fast). Each stack gets its own, so outbox relays of
 * test files running side by side never pick up each other's rows.
 */
export async function cloneTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const template = new URL(readTestEnv().templateDatabaseUrl);
  const templateName = template.pathname.slice(1);
  const name = `${templateName.replace(/_template$/, '')}_${randomUUID().slice(0, 8)}`;
  const admin = new URL(template);
  admin.pathname = '/postgres';
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`create database "${name}" template "${templateName}"`);
  const url = new URL(template);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists "${name}" with (force)`) };
}
