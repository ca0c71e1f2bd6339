import { Migration } from '@mikro-orm/migrations';

export class Migration20261204092230 extends Migration {

  override name = 'Migration20261204092230';

  override up(): void | Promise<void> {
    this.addSql(`create table "campaigns" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "automation_id" uuid not null, "version" int not null, "segment" jsonb not null, "sends_per_second" int not null, "status" text not null default 'running', "total" int not null default 0, "processed" int not null default 0, "sent" int not null default 0, "skipped_opted_out" int not null default 0, "skipped_conditions" int not null default 0, "failed" int not null default 0, "cursor" uuid null, "error" text null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "campaigns_tenant_id_index" on "campaigns" ("tenant_id");`);
    this.addSql(`create index "campaigns_tenant_id_automation_id_created_at_index" on "campaigns" ("tenant_id", "automation_id", "created_at");`);
    this.addSql(`create index "campaigns_tenant_id_status_index" on "campaigns" ("tenant_id", "status");`);

    this.addSql(`alter table "campaigns" add constraint "campaigns_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "campaigns" add constraint "campaigns_automation_id_foreign" foreign key ("automation_id") references "automations" ("id") on delete cascade;`);
    this.addSql(`alter table "campaigns" add constraint "campaigns_status_check" check ("status" in ('running', 'completed', 'failed', 'cancelled'));`);
    // A campaign belongs to an automation of its own tenant.
    this.addSql(`alter table "campaigns" add constraint "campaigns_automation_id_same_tenant_fk" foreign key ("tenant_id", "automation_id") references "automations" ("tenant_id", "id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "campaigns" cascade;`);

  }

}
