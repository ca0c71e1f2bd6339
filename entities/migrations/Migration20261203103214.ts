import { Migration } from '@mikro-orm/migrations';

/** Same-tenant composite keys (see Migration20261202203500) are added by hand at the end. */
const RELATIONS: Array<[string, string, string]> = [
  ['lead_activities', 'lead_id', 'lead'],
  ['lead_activities', 'user_id', 'users'],
];

export class Migration20261203103214 extends Migration {

  override name = 'Migration20261203103214';

  override up(): void | Promise<void> {
    this.addSql(`create table "lead_activities" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "lead_id" uuid not null, "user_id" uuid null, "activity_type" varchar(50) not null, "note_type" text null, "description" text not null, "metadata" jsonb not null, primary key ("id"));`);
    this.addSql(`create index "lead_activities_tenant_id_index" on "lead_activities" ("tenant_id");`);
    this.addSql(`create index "lead_activities_lead_id_created_at_index" on "lead_activities" ("lead_id", "created_at");`);
    this.addSql(`alter table "lead_activities" add constraint "lead_activities_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "lead_activities" add constraint "lead_activities_lead_id_foreign" foreign key ("lead_id") references "lead" ("id") on delete cascade;`);
    this.addSql(`alter table "lead_activities" add constraint "lead_activities_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "lead_activities" add constraint "lead_activities_note_type_check" check ("note_type" in ('note', 'call', 'email', 'meeting'));`);
    for (const [table, column, target] of RELATIONS) {
      this.addSql(`alter table "${table}" add constraint "${table}_${column}_same_tenant_fk" foreign key ("tenant_id", "${column}") references "${target}" ("tenant_id", "id");`);
    }
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "lead_activities" cascade;`);
  }

}
