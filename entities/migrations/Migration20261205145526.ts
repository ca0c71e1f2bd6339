import { Migration } from '@mikro-orm/migrations';

export class Migration20261205145526 extends Migration {

  override name = 'Migration20261205145526';

  override up(): void | Promise<void> {
    this.addSql(`create table "sms_opt_outs" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "phone" varchar(32) not null, "message_id" uuid null, primary key ("id"));`);
    this.addSql(`create index "sms_opt_outs_tenant_id_index" on "sms_opt_outs" ("tenant_id");`);
    this.addSql(`alter table "sms_opt_outs" add constraint "sms_opt_outs_tenant_id_phone_unique" unique ("tenant_id", "phone");`);
    this.addSql(`alter table "sms_opt_outs" add constraint "sms_opt_outs_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    // The numbers of contacts already opted out keep their opt-out, now by number.
    this.addSql(`insert into "sms_opt_outs" ("id", "created_at", "updated_at", "tenant_id", "phone")
      select gen_random_uuid(), now(), now(), "tenant_id", "phone" from "contact" where "sms_opt_out" and "phone" is not null
      on conflict ("tenant_id", "phone") do nothing;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "sms_opt_outs" cascade;`);
  }

}
