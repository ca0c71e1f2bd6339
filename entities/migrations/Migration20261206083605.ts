import { Migration } from '@mikro-orm/migrations';

/**
 * The creating request's key on a reminder (entities/Reminder.ts `requestKey`): a retried
 * POST /reminders whose first try committed before the API died finds that reminder.
 */
export class Migration20261206083605 extends Migration {
  override name = 'Migration20261206083605';

  override up(): void | Promise<void> {
    this.addSql(`alter table "reminders" add "request_key" varchar(64) null;`);
    this.addSql(`alter table "reminders" add constraint "reminders_tenant_id_request_key_unique" unique ("tenant_id", "request_key");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "reminders" drop constraint "reminders_tenant_id_request_key_unique";`);
    this.addSql(`alter table "reminders" drop column "request_key";`);
  }
}
