import { Migration } from '@mikro-orm/migrations';

/**
 * CRM integrations (issue 15): the integration with its sealed secrets, each data type's
 * sync state, each sync run, and the record links that make upserts keyed by the
 * provider's id. Contacts and leads get `archived_at` (deleted in the CRM: kept, hidden).
 * Same-tenant composite keys by hand, as for every table hanging off another.
 */
export class Migration20261204054921 extends Migration {

  override name = 'Migration20261204054921';

  override up(): void | Promise<void> {
    this.addSql(`create table "integrations" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "type" text not null, "name" varchar(200) not null, "status" text not null default 'active', "settings" jsonb not null, "secrets_sealed" text not null, "data_types" text[] not null default '{contacts}', "sync_interval_minutes" int not null default 60, "field_owners" jsonb not null, "schedule_pending" boolean not null default true, "last_tested_at" timestamptz null, "last_error" varchar(500) null, "quota_remaining" int null, "quota_limit" int null, "quota_seen_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "integrations_tenant_id_index" on "integrations" ("tenant_id");`);
    this.addSql(`create index "integrations_tenant_id_type_index" on "integrations" ("tenant_id", "type");`);

    this.addSql(`create table "integration_sync_states" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "integration_id" uuid not null, "data_type" varchar(30) not null, "watermark" timestamptz null, "deletions_checked_at" timestamptz null, "lease_run" varchar(300) null, "lease_until" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "integration_sync_states_tenant_id_index" on "integration_sync_states" ("tenant_id");`);
    this.addSql(`alter table "integration_sync_states" add constraint "integration_sync_states_integration_id_data_type_unique" unique ("integration_id", "data_type");`);

    this.addSql(`create table "integration_sync_runs" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "integration_id" uuid not null, "data_type" varchar(30) not null, "workflow_id" varchar(300) not null, "run_key" varchar(100) not null, "trigger" varchar(20) not null, "status" text not null default 'running', "full" boolean not null default false, "counts" jsonb not null, "cursor" jsonb null, "pull_done" boolean not null default false, "reconcile_after" varchar(64) null, "newest_change" timestamptz null, "error" varchar(500) null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "integration_sync_runs_tenant_id_index" on "integration_sync_runs" ("tenant_id");`);
    this.addSql(`create index "integration_sync_runs_integration_id_data_type_created_at_index" on "integration_sync_runs" ("integration_id", "data_type", "created_at");`);
    this.addSql(`alter table "integration_sync_runs" add constraint "integration_sync_runs_run_key_unique" unique ("run_key");`);

    this.addSql(`create table "integration_records" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "integration_id" uuid not null, "data_type" varchar(30) not null, "remote_id" varchar(64) not null, "local_id" uuid not null, "base" jsonb not null, "remote_modified_at" timestamptz null, "local_synced_at" timestamptz null, "remote_archived_at" timestamptz null, "seen_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "integration_records_tenant_id_index" on "integration_records" ("tenant_id");`);
    this.addSql(`alter table "integration_records" add constraint "integration_records_integration_id_data_type_remote_id_unique" unique ("integration_id", "data_type", "remote_id");`);
    this.addSql(`alter table "integration_records" add constraint "integration_records_integration_id_data_type_local_id_unique" unique ("integration_id", "data_type", "local_id");`);

    this.addSql(`alter table "contact" add "archived_at" timestamptz null;`);

    this.addSql(`alter table "lead" add "archived_at" timestamptz null;`);

    this.addSql(`alter table "integrations" add constraint "integrations_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "integrations" add constraint "integrations_type_check" check ("type" in ('salesforce', 'hubspot'));`);
    this.addSql(`alter table "integrations" add constraint "integrations_status_check" check ("status" in ('active', 'needs_reauth', 'disabled'));`);

    this.addSql(`alter table "integration_sync_states" add constraint "integration_sync_states_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "integration_sync_states" add constraint "integration_sync_states_integration_id_foreign" foreign key ("integration_id") references "integrations" ("id") on delete cascade;`);

    this.addSql(`alter table "integration_sync_runs" add constraint "integration_sync_runs_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "integration_sync_runs" add constraint "integration_sync_runs_integration_id_foreign" foreign key ("integration_id") references "integrations" ("id") on delete cascade;`);
    this.addSql(`alter table "integration_sync_runs" add constraint "integration_sync_runs_status_check" check ("status" in ('running', 'completed', 'failed', 'skipped'));`);

    this.addSql(`alter table "integration_records" add constraint "integration_records_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "integration_records" add constraint "integration_records_integration_id_foreign" foreign key ("integration_id") references "integrations" ("id") on delete cascade;`);

    this.addSql(`alter table "integrations" add constraint "integrations_tenant_id_id_unique" unique ("tenant_id", "id");`);
    for (const table of ['integration_sync_states', 'integration_sync_runs', 'integration_records']) {
      this.addSql(`alter table "${table}" add constraint "${table}_integration_id_same_tenant_fk" foreign key ("tenant_id", "integration_id") references "integrations" ("tenant_id", "id") on delete cascade;`);
    }
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "lead" drop column "archived_at";`);
    this.addSql(`alter table "integration_sync_states" drop constraint "integration_sync_states_integration_id_foreign";`);
    this.addSql(`alter table "integration_sync_runs" drop constraint "integration_sync_runs_integration_id_foreign";`);
    this.addSql(`alter table "integration_records" drop constraint "integration_records_integration_id_foreign";`);

    this.addSql(`drop table if exists "integrations" cascade;`);
    this.addSql(`drop table if exists "integration_sync_states" cascade;`);
    this.addSql(`drop table if exists "integration_sync_runs" cascade;`);
    this.addSql(`drop table if exists "integration_records" cascade;`);

    this.addSql(`alter table "contact" drop column "archived_at";`);

    this.addSql(`alter table "lead" drop column "archived_at";`);

  }

}
