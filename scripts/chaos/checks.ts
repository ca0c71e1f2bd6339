// What must hold after the chaos: every accepted request stored once, every workflow
// finished, and no side effect done twice. Counted in SQL, straight from the tables.
import pg from 'pg';

export interface Check {
  name: string;
  expected: number;
  actual: number;
}

export async function runChecks(databaseUrl: string, expected: { tenants: number; messages: number; reminders: number; contacts: number; imports: number; importRows: number }): Promise<Check[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0].n);
  try {
    return [
      { name: 'tenants stored', expected: expected.tenants, actual: await count('select count(*) n from tenant') },
      { name: 'tenants onboarded', expected: expected.tenants, actual: await count('select count(*) n from tenant where onboarded_at is not null') },
      { name: 'messages stored (accepted requests)', expected: expected.messages, actual: await count('select count(*) n from messages') },
      { name: 'messages triaged', expected: expected.messages, actual: await count('select count(*) n from messages where triaged_at is not null') },
      {
        // Clients that send no id of their own rely on their Idempotency-Key alone.
        name: 'messages stored twice (same content, no external_id)',
        expected: 0,
        actual: await count(`select count(*) n from (select tenant_id, content from messages where external_id is null and channel = 'email' group by 1, 2 having count(*) > 1) d`),
      },
      { name: 'workflow starts never made', expected: 0, actual: await count('select count(*) n from workflow_starts where started_at is null') },
      {
        name: 'tenant.onboarded events written twice',
        expected: 0,
        actual: await count(`select count(*) n from (select entity_id from events where type = 'tenant.onboarded' group by entity_id having count(*) > 1) d`),
      },
      {
        name: 'default pipelines created twice',
        expected: 0,
        actual: await count('select count(*) n from (select tenant_id from pipeline group by tenant_id having count(*) > 1) d'),
      },
      {
        name: 'message.triaged events written twice',
        expected: 0,
        actual: await count(`select count(*) n from (select entity_id from events where type = 'message.triaged' group by entity_id having count(*) > 1) d`),
      },
      {
        name: 'messages without a message.triaged event',
        expected: 0,
        actual: await count(`select count(*) n from messages m where not exists (select 1 from events e where e.type = 'message.triaged' and e.entity_id = m.id)`),
      },
      {
        name: 'contacts duplicated (same tenant and email)',
        expected: 0,
        actual: await count('select count(*) n from (select tenant_id, email from contact where email is not null group by 1, 2 having count(*) > 1) d'),
      },
      {
        name: 'contacts duplicated (same tenant and phone)',
        expected: 0,
        actual: await count('select count(*) n from (select tenant_id, phone from contact where phone is not null group by 1, 2 having count(*) > 1) d'),
      },
      {
        name: 'contacts with more than one open lead',
        expected: 0,
        actual: await count(
          `select count(*) n from (select contact_id from lead where status in ('new','contacted','qualified','proposal','negotiation') group by 1 having count(*) > 1) d`,
        ),
      },
      {
        name: 'tasks or events extracted twice',
        expected: 0,
        actual: await count(
          `select count(*) n from (select tenant_id, dedupe_key from task where dedupe_key is not null group by 1, 2 having count(*) > 1
            union all select tenant_id, dedupe_key from calendar_event where dedupe_key is not null group by 1, 2 having count(*) > 1) d`,
        ),
      },
      { name: 'contacts stored (accepted POST /contacts)', expected: expected.contacts, actual: await count(`select count(distinct (tenant_id, name)) n from contact where name like 'Chaos contact #%'`) },
      {
        name: 'contacts stored twice (POST /contacts)',
        expected: 0,
        actual: await count(`select count(*) n from (select tenant_id, name from contact where name like 'Chaos contact #%' group by 1, 2 having count(*) > 1) d`),
      },
      { name: 'lead imports stored (accepted uploads)', expected: expected.imports, actual: await count(`select count(distinct (tenant_id, filename)) n from lead_imports where filename like 'chaos-import-%'`) },
      {
        name: 'lead imports stored twice',
        expected: 0,
        actual: await count(`select count(*) n from (select tenant_id, filename from lead_imports where filename like 'chaos-import-%' group by 1, 2 having count(*) > 1) d`),
      },
      {
        name: 'lead imports completed, each row created',
        expected: expected.imports,
        actual: await count(`select count(*) n from lead_imports where filename like 'chaos-import-%' and status = 'completed' and created = ${Number(expected.importRows)}`),
      },
      { name: 'reminders stored (accepted requests)', expected: expected.reminders, actual: await count('select count(*) n from reminders') },
      { name: 'reminders sent', expected: expected.reminders, actual: await count(`select count(*) n from reminders where status = 'sent' and sent_count = 1`) },
      {
        name: 'reminder texts recorded twice',
        expected: 0,
        actual: await count(`select count(*) n from (select cause->>'reminder_id' from outbound_messages where cause->>'type' = 'reminder' group by 1 having count(*) > 1) d`),
      },
      {
        name: 'reminder.sent events written twice',
        expected: 0,
        actual: await count(`select count(*) n from (select entity_id from events where type = 'reminder.sent' group by entity_id having count(*) > 1) d`),
      },
    ];
  } finally {
    await client.end();
  }
}
