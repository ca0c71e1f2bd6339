import { Migration } from '@mikro-orm/migrations';

export class Migration20261204085831 extends Migration {

  override name = 'Migration20261204085831';

  override up(): void | Promise<void> {
    this.addSql(`create table "automation_watches" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "run_id" uuid not null, "step_id" varchar(40) not null, "event_types" text[] not null, "match_field" varchar(200) null, "match_value" varchar(200) null, "expires_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "automation_watches_tenant_id_index" on "automation_watches" ("tenant_id");`);
    this.addSql(`alter table "automation_watches" add constraint "automation_watches_run_id_step_id_unique" unique ("run_id", "step_id");`);

    this.addSql(`create table "automations" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "name" varchar(200) not null, "description" text null, "trigger_type" varchar(20) not null, "trigger_config" jsonb not null, "conditions" jsonb null, "actions" jsonb not null, "enabled" boolean not null default true, "version" int not null default 1, "max_concurrent_runs" int not null default 0, "created_by" uuid null, primary key ("id"));`);
    this.addSql(`create index "automations_tenant_id_index" on "automations" ("tenant_id");`);
    this.addSql(`create index "automations_tenant_id_created_at_index" on "automations" ("tenant_id", "created_at");`);
    this.addSql(`create index "automations_tenant_id_trigger_type_enabled_index" on "automations" ("tenant_id", "trigger_type", "enabled");`);

    this.addSql(`create table "automation_runs" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "automation_id" uuid not null, "version" int not null, "trigger" varchar(20) not null, "trigger_event_id" uuid null, "depth" int not null default 0, "status" text not null default 'running', "context" jsonb not null, "steps" jsonb not null, "current_step" varchar(40) null, "error" text null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "automation_runs_tenant_id_index" on "automation_runs" ("tenant_id");`);
    this.addSql(`create index "automation_runs_tenant_id_automation_id_created_at_index" on "automation_runs" ("tenant_id", "automation_id", "created_at");`);
    this.addSql(`create index "automation_runs_tenant_id_status_index" on "automation_runs" ("tenant_id", "status");`);
    this.addSql(`alter table "automation_runs" add constraint "automation_runs_automation_id_trigger_event_id_unique" unique ("automation_id", "trigger_event_id");`);

    this.addSql(`drop trigger if exists "events_mark_unsubscribed" on "events";`);
    this.addSql(`drop function if exists "events_events_mark_unsubscribed_fn"();`);
    this.addSql(`alter table "events" add "automation_run_id" uuid null, add "automation_depth" int not null default 0;`);
    this.addSql(`create or replace function "events_events_automation_cause_fn"() returns trigger as \$\$ begin new.automation_run_id := coalesce(new.automation_run_id, nullif(current_setting('app.automation_run_id', true), '')::uuid); new.automation_depth := greatest(new.automation_depth, coalesce(nullif(current_setting('app.automation_depth', true), '')::int, 0)); return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "events_automation_cause" BEFORE INSERT on "events" for each ROW execute function "events_events_automation_cause_fn"();`);
    this.addSql(`create or replace function "events_events_mark_unsubscribed_fn"() returns trigger as \$\$ begin if not exists (select 1 from webhook_endpoints w where w.tenant_id = new.tenant_id and w.enabled) and not exists (select 1 from automations a where a.tenant_id = new.tenant_id and a.enabled and a.trigger_type = 'event') and not exists (select 1 from automation_watches aw where aw.tenant_id = new.tenant_id) then new.dispatched_at := now(); end if; return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "events_mark_unsubscribed" BEFORE INSERT on "events" for each ROW
  when ((new.dispatched_at IS NULL)) execute function "events_events_mark_unsubscribed_fn"();`);

    this.addSql(`alter table "automation_watches" add constraint "automation_watches_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "automations" add constraint "automations_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "automation_runs" add constraint "automation_runs_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "automation_runs" add constraint "automation_runs_automation_id_foreign" foreign key ("automation_id") references "automations" ("id") on delete cascade;`);
    this.addSql(`alter table "automation_runs" add constraint "automation_runs_status_check" check ("status" in ('running', 'completed', 'failed', 'cancelled', 'skipped'));`);
    // A run belongs to an automation of its own tenant.
    this.addSql(`alter table "automations" add constraint "automations_tenant_id_id_unique" unique ("tenant_id", "id");`);
    this.addSql(`alter table "automation_runs" add constraint "automation_runs_automation_id_same_tenant_fk" foreign key ("tenant_id", "automation_id") references "automations" ("tenant_id", "id") on delete cascade;`);
    // The relay finds watches and event automations of an event's type.
    this.addSql(`create index "automation_watches_tenant_id_expires_at_index" on "automation_watches" ("tenant_id", "expires_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "automation_runs" drop constraint "automation_runs_automation_id_foreign";`);

    this.addSql(`drop table if exists "automation_watches" cascade;`);
    this.addSql(`drop table if exists "automations" cascade;`);
    this.addSql(`drop table if exists "automation_runs" cascade;`);

    this.addSql(`drop trigger if exists "events_automation_cause" on "events";`);
    this.addSql(`drop function if exists "events_events_automation_cause_fn"();`);
    this.addSql(`drop trigger if exists "events_mark_unsubscribed" on "events";`);
    this.addSql(`drop function if exists "events_events_mark_unsubscribed_fn"();`);
    this.addSql(`alter table "events" drop column "automation_run_id", drop column "automation_depth";`);
    this.addSql(`create or replace function "events_events_mark_unsubscribed_fn"() returns trigger as \$\$ begin if not exists (select 1 from webhook_endpoints w where w.tenant_id = new.tenant_id and w.enabled) then new.dispatched_at := now(); end if; return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "events_mark_unsubscribed" BEFORE INSERT on "events" for each ROW
  when ((new.dispatched_at IS NULL)) execute function "events_events_mark_unsubscribed_fn"();`);

  }

}
