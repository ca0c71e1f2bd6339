import { Migration } from '@mikro-orm/migrations';

/**
 * Outbound AI voice calls (issue 16): the call with its attempts, transcript, summary and
 * analytics, run by `call-<id>`; contacts get `do_not_call` (asked on a call, or set by a
 * person). Same-tenant composite keys by hand, as for every reference between tenant tables.
 */
export class Migration20261204070003 extends Migration {

  override name = 'Migration20261204070003';

  override up(): void | Promise<void> {
    this.addSql(`create table "voice_calls" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "lead_id" uuid null, "contact_id" uuid null, "phone_number" varchar(32) not null, "call_type" varchar(20) not null default 'outbound', "purpose" varchar(500) null, "voice_settings" jsonb not null, "status" text not null default 'scheduled', "max_attempts" int not null default 3, "not_before" timestamptz null, "not_after" timestamptz null, "attempts" jsonb not null, "transcript" jsonb not null, "conversation_state" varchar(20) not null default 'greeting', "last_analysis" jsonb null, "summary" jsonb null, "analytics" jsonb null, "provider_call_id" varchar(64) null, "answered_at" timestamptz null, "ended_at" timestamptz null, "end_reason" varchar(100) null, primary key ("id"));`);
    this.addSql(`create index "voice_calls_tenant_id_index" on "voice_calls" ("tenant_id");`);
    this.addSql(`create index "voice_calls_tenant_id_created_at_index" on "voice_calls" ("tenant_id", "created_at");`);
    this.addSql(`create index "voice_calls_tenant_id_status_index" on "voice_calls" ("tenant_id", "status");`);
    this.addSql(`create index "voice_calls_tenant_id_lead_id_index" on "voice_calls" ("tenant_id", "lead_id");`);

    this.addSql(`alter table "contact" add "do_not_call" boolean not null default false;`);

    this.addSql(`alter table "voice_calls" add constraint "voice_calls_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "voice_calls" add constraint "voice_calls_lead_id_foreign" foreign key ("lead_id") references "lead" ("id") on delete set null;`);
    this.addSql(`alter table "voice_calls" add constraint "voice_calls_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete set null;`);
    this.addSql(`alter table "voice_calls" add constraint "voice_calls_lead_id_same_tenant_fk" foreign key ("tenant_id", "lead_id") references "lead" ("tenant_id", "id");`);
    this.addSql(`alter table "voice_calls" add constraint "voice_calls_contact_id_same_tenant_fk" foreign key ("tenant_id", "contact_id") references "contact" ("tenant_id", "id");`);
    this.addSql(`alter table "voice_calls" add constraint "voice_calls_status_check" check ("status" in ('scheduled', 'dialing', 'in_progress', 'completed', 'no_answer', 'busy', 'voicemail', 'declined', 'failed', 'cancelled'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "voice_calls" cascade;`);

    this.addSql(`alter table "contact" drop column "do_not_call";`);

  }

}
