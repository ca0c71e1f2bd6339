import { Migration } from '@mikro-orm/migrations';

export class Migration20261202200801 extends Migration {

  override name = 'Migration20261202200801';

  override up(): void | Promise<void> {
    this.addSql(`create table "webhook_endpoints" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "url" varchar(2048) not null, "description" varchar(500) null, "events" jsonb not null, "headers_sealed" text null, "header_names" jsonb not null, "enabled" boolean not null default true, "secret_sealed" text not null, "previous_secret_sealed" text null, "previous_secret_expires_at" timestamptz null, "failing_since" timestamptz null, "consecutive_failures" int not null default 0, "disabled_at" timestamptz null, "disabled_reason" varchar(300) null, primary key ("id"));`);
    this.addSql(`create index "webhook_endpoints_tenant_id_index" on "webhook_endpoints" ("tenant_id");`);
    this.addSql(`create index "webhook_endpoints_tenant_id_enabled_index" on "webhook_endpoints" ("tenant_id", "enabled");`);

    this.addSql(`create table "webhook_deliveries" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "endpoint_id" uuid not null, "event_id" uuid not null, "event_type" varchar(100) not null, "status" text not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz null, "last_status_code" int null, "last_error" varchar(500) null, "delivered_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "webhook_deliveries_tenant_id_index" on "webhook_deliveries" ("tenant_id");`);
    this.addSql(`create index "webhook_deliveries_event_id_index" on "webhook_deliveries" ("event_id");`);
    this.addSql(`create index "webhook_deliveries_tenant_id_endpoint_id_created_at_index" on "webhook_deliveries" ("tenant_id", "endpoint_id", "created_at");`);
    this.addSql(`create index "webhook_deliveries_endpoint_id_status_index" on "webhook_deliveries" ("endpoint_id", "status");`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_endpoint_id_event_id_unique" unique ("endpoint_id", "event_id");`);

    this.addSql(`create table "webhook_attempts" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "delivery_id" uuid not null, "attempt_no" int not null, "started_at" timestamptz not null, "finished_at" timestamptz null, "status_code" int null, "latency_ms" int null, "response_excerpt" varchar(1024) null, "error" varchar(500) null, primary key ("id"));`);
    this.addSql(`create index "webhook_attempts_tenant_id_index" on "webhook_attempts" ("tenant_id");`);
    this.addSql(`alter table "webhook_attempts" add constraint "webhook_attempts_delivery_id_attempt_no_unique" unique ("delivery_id", "attempt_no");`);

    this.addSql(`create table "workflow_starts" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "workflow_type" varchar(100) not null, "workflow_id" varchar(200) not null, "args" jsonb not null, "entity_type" varchar(50) not null, "entity_id" varchar(100) not null, "request_id" varchar(100) null, "rerunnable" boolean not null default false, "started_at" timestamptz null, "run_id" varchar(100) null, "claimed_until" timestamptz null, "attempts" int not null default 0, "last_error" varchar(500) null, primary key ("id"));`);
    this.addSql(`create index "workflow_starts_tenant_id_index" on "workflow_starts" ("tenant_id");`);
    this.addSql(`create index "workflow_starts_tenant_id_workflow_id_index" on "workflow_starts" ("tenant_id", "workflow_id");`);
    this.addSql(`create index "workflow_starts_unstarted_index" on "workflow_starts" ("created_at") where "started_at" is null;`);

    this.addSql(`create index "events_undispatched_index" on "events" ("created_at") where "dispatched_at" is null;`);
    this.addSql(`create or replace function "events_events_notify_outbox_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', ''); return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "events_notify_outbox" AFTER INSERT on "events" for each STATEMENT execute function "events_events_notify_outbox_fn"();`);

    this.addSql(`alter table "webhook_endpoints" add constraint "webhook_endpoints_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoints" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_event_id_foreign" foreign key ("event_id") references "events" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_status_check" check ("status" in ('pending', 'retrying', 'delivered', 'failed', 'cancelled', 'paused'));`);

    this.addSql(`alter table "webhook_attempts" add constraint "webhook_attempts_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "webhook_attempts" add constraint "webhook_attempts_delivery_id_foreign" foreign key ("delivery_id") references "webhook_deliveries" ("id") on delete cascade;`);

    this.addSql(`alter table "workflow_starts" add constraint "workflow_starts_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`create or replace function "workflow_starts_workflow_starts_notify_outbox_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', ''); return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "workflow_starts_notify_outbox" AFTER INSERT on "workflow_starts" for each STATEMENT execute function "workflow_starts_workflow_starts_notify_outbox_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_endpoint_id_foreign";`);
    this.addSql(`alter table "webhook_attempts" drop constraint "webhook_attempts_delivery_id_foreign";`);

    this.addSql(`drop table if exists "webhook_endpoints" cascade;`);
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
    this.addSql(`drop table if exists "webhook_attempts" cascade;`);
    this.addSql(`drop trigger if exists "workflow_starts_notify_outbox" on "workflow_starts";`);
    this.addSql(`drop function if exists "workflow_starts_workflow_starts_notify_outbox_fn"();`);
    this.addSql(`drop table if exists "workflow_starts" cascade;`);

    this.addSql(`drop index "events_undispatched_index";`);
    this.addSql(`drop trigger if exists "events_notify_outbox" on "events";`);
    this.addSql(`drop function if exists "events_events_notify_outbox_fn"();`);
  }

}
