import { Migration } from '@mikro-orm/migrations';

/** Same-tenant composite keys (see Migration20261202203500) are added by hand at the end. */
const TARGETS = ['calendar_connections'];
const RELATIONS: Array<[string, string, string]> = [
  ['calendar_event', 'connection_id', 'calendar_connections'],
  ['calendar_deletions', 'connection_id', 'calendar_connections'],
  ['calendar_connections', 'user_id', 'users'],
];

export class Migration20261203093453 extends Migration {

  override name = 'Migration20261203093453';

  override up(): void | Promise<void> {
    this.addSql(`create table "calendar_connections" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "provider" text not null, "user_id" uuid null, "status" text not null default 'active', "calendar_id" varchar(300) not null default 'primary', "access_token_sealed" text null, "refresh_token_sealed" text null, "access_token_expires_at" timestamptz null, "scope" varchar(500) null, "sync_token" text null, "last_synced_at" timestamptz null, "last_error" varchar(500) null, primary key ("id"));`);
    this.addSql(`create index "calendar_connections_tenant_id_index" on "calendar_connections" ("tenant_id");`);
    this.addSql(`alter table "calendar_connections" add constraint "calendar_connections_tenant_id_provider_unique" unique ("tenant_id", "provider");`);
    this.addSql(`create table "calendar_deletions" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "connection_id" uuid not null, "external_id" varchar(1024) not null, primary key ("id"));`);
    this.addSql(`create index "calendar_deletions_tenant_id_index" on "calendar_deletions" ("tenant_id");`);
    this.addSql(`alter table "calendar_deletions" add constraint "calendar_deletions_connection_id_external_id_unique" unique ("connection_id", "external_id");`);
    this.addSql(`alter table "calendar_event" add "connection_id" uuid null, add "external_id" varchar(1024) null, add "recurring_event_id" varchar(1024) null, add "original_start_time" varchar(64) null, add "external_synced_at" timestamptz null;`);
    this.addSql(`alter table "calendar_event" add constraint "calendar_event_connection_id_foreign" foreign key ("connection_id") references "calendar_connections" ("id") on delete set null;`);
    this.addSql(`alter table "calendar_event" add constraint "calendar_event_connection_id_external_id_unique" unique ("connection_id", "external_id");`);
    this.addSql(`alter table "calendar_connections" add constraint "calendar_connections_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "calendar_connections" add constraint "calendar_connections_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "calendar_connections" add constraint "calendar_connections_provider_check" check ("provider" in ('google', 'outlook'));`);
    this.addSql(`alter table "calendar_connections" add constraint "calendar_connections_status_check" check ("status" in ('active', 'needs_reauth', 'disconnected'));`);
    this.addSql(`alter table "calendar_deletions" add constraint "calendar_deletions_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "calendar_deletions" add constraint "calendar_deletions_connection_id_foreign" foreign key ("connection_id") references "calendar_connections" ("id") on delete cascade;`);
    for (const t of TARGETS) this.addSql(`alter table "${t}" add constraint "${t}_tenant_id_id_unique" unique ("tenant_id", "id");`);
    for (const [table, column, target] of RELATIONS) {
      this.addSql(`alter table "${table}" add constraint "${table}_${column}_same_tenant_fk" foreign key ("tenant_id", "${column}") references "${target}" ("tenant_id", "id");`);
    }
  }

  override down(): void | Promise<void> {
    for (const [table, column] of RELATIONS) this.addSql(`alter table "${table}" drop constraint if exists "${table}_${column}_same_tenant_fk";`);
    this.addSql(`alter table "calendar_event" drop constraint "calendar_event_connection_id_foreign";`);
    this.addSql(`alter table "calendar_deletions" drop constraint "calendar_deletions_connection_id_foreign";`);
    this.addSql(`drop table if exists "calendar_connections" cascade;`);
    this.addSql(`drop table if exists "calendar_deletions" cascade;`);
    this.addSql(`alter table "calendar_event" drop constraint "calendar_event_connection_id_external_id_unique";`);
    this.addSql(`alter table "calendar_event" drop column "connection_id", drop column "external_id", drop column "recurring_event_id", drop column "original_start_time", drop column "external_synced_at";`);
  }

}
