import { Migration } from '@mikro-orm/migrations';

/**
 * The creating request's key on a reminder, an automation run, a campaign, a call and a
 * webhook endpoint (their `requestKey`): a retried POST whose first try committed before
 * the API died finds that row instead of making a second one (that texts, calls or
 * delivers again).
 */
export class Migration20261206083605 extends Migration {
  override name = 'Migration20261206083605';

  override up(): void | Promise<void> {
    this.addSql(`alter table "reminders" add "request_key" varchar(64) null;`);
    this.addSql(`alter table "reminders" add constraint "reminders_tenant_id_request_key_unique" unique ("tenant_id", "request_key");`);
    this.addSql(`alter table "automation_runs" add "request_key" varchar(64) null;`);
    this.addSql(`alter table "automation_runs" add constraint "automation_runs_tenant_id_request_key_unique" unique ("tenant_id", "request_key");`);
    this.addSql(`alter table "campaigns" add "request_key" varchar(64) null;`);
    this.addSql(`alter table "campaigns" add constraint "campaigns_tenant_id_request_key_unique" unique ("tenant_id", "request_key");`);
    this.addSql(`alter table "voice_calls" add "request_key" varchar(64) null;`);
    this.addSql(`alter table "voice_calls" add constraint "voice_calls_tenant_id_request_key_unique" unique ("tenant_id", "request_key");`);
    this.addSql(`alter table "webhook_endpoints" add "request_key" varchar(64) null;`);
    this.addSql(`alter table "webhook_endpoints" add constraint "webhook_endpoints_tenant_id_request_key_unique" unique ("tenant_id", "request_key");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoints" drop constraint "webhook_endpoints_tenant_id_request_key_unique";`);
    this.addSql(`alter table "webhook_endpoints" drop column "request_key";`);
    this.addSql(`alter table "voice_calls" drop constraint "voice_calls_tenant_id_request_key_unique";`);
    this.addSql(`alter table "voice_calls" drop column "request_key";`);
    this.addSql(`alter table "campaigns" drop constraint "campaigns_tenant_id_request_key_unique";`);
    this.addSql(`alter table "campaigns" drop column "request_key";`);
    this.addSql(`alter table "automation_runs" drop constraint "automation_runs_tenant_id_request_key_unique";`);
    this.addSql(`alter table "automation_runs" drop column "request_key";`);
    this.addSql(`alter table "reminders" drop constraint "reminders_tenant_id_request_key_unique";`);
    this.addSql(`alter table "reminders" drop column "request_key";`);
  }
}
