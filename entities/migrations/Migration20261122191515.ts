import { Migration } from '@mikro-orm/migrations';

export class Migration20261122191515 extends Migration {

  override name = 'Migration20261122191515';

  override up(): void | Promise<void> {
    this.addSql(`create table "idempotency_key" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "scope" varchar(100) not null, "key" varchar(255) not null, "method" varchar(10) not null, "path" varchar(500) not null, "request_hash" varchar(64) not null, "response_status" int null, "response_body" jsonb null, "expires_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "idempotency_key_expires_at_index" on "idempotency_key" ("expires_at");`);
    this.addSql(`alter table "idempotency_key" add constraint "idempotency_key_scope_key_unique" unique ("scope", "key");`);

    this.addSql(`create table "tenant" ("id" uuid not null, "name" varchar(200) not null, "phone_numbers" text[] not null default '{}', "settings" jsonb not null default '{}', "onboarded_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "pipeline" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "name" varchar(100) not null, "is_default" boolean not null default false, "stages" jsonb not null, primary key ("id"));`);
    this.addSql(`create index "pipeline_tenant_id_index" on "pipeline" ("tenant_id");`);
    this.addSql(`alter table "pipeline" add constraint "pipeline_tenant_id_name_unique" unique ("tenant_id", "name");`);

    this.addSql(`create table "events" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "type" varchar(100) not null, "entity_type" varchar(50) not null, "entity_id" uuid not null, "payload" jsonb not null, "dispatched_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "events_tenant_id_index" on "events" ("tenant_id");`);
    this.addSql(`create index "events_tenant_id_type_created_at_index" on "events" ("tenant_id", "type", "created_at");`);
    this.addSql(`create index "events_dispatched_at_index" on "events" ("dispatched_at");`);

    this.addSql(`create table "contact" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "name" varchar(200) not null, "email" varchar(320) null, "phone" varchar(32) null, "organization" varchar(200) null, "notes" text null, "tags" text[] not null default '{}', "custom_fields" jsonb not null default '{}', "sms_opt_out" boolean not null default false, primary key ("id"));`);
    this.addSql(`create index "contact_tenant_id_index" on "contact" ("tenant_id");`);
    this.addSql(`create index "contact_tenant_id_email_index" on "contact" ("tenant_id", "email");`);
    this.addSql(`create index "contact_tenant_id_phone_index" on "contact" ("tenant_id", "phone");`);

    this.addSql(`create table "users" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "email" varchar(320) not null, "password_hash" varchar(255) not null, "first_name" varchar(100) null, "last_name" varchar(100) null, "phone" varchar(32) null, "role" text not null default 'user', "is_active" boolean not null default true, "last_login_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "users_tenant_id_index" on "users" ("tenant_id");`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);
    this.addSql(`alter table "users" add constraint "users_role_check" check ("role" in ('admin', 'manager', 'user'));`);

    this.addSql(`create table "refresh_token" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "user_id" uuid not null, "family_id" uuid not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "refresh_token_tenant_id_index" on "refresh_token" ("tenant_id");`);
    this.addSql(`create index "refresh_token_user_id_index" on "refresh_token" ("user_id");`);
    this.addSql(`create index "refresh_token_family_id_index" on "refresh_token" ("family_id");`);
    this.addSql(`alter table "refresh_token" add constraint "refresh_token_token_hash_unique" unique ("token_hash");`);

    this.addSql(`alter table "pipeline" add constraint "pipeline_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "events" add constraint "events_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "contact" add constraint "contact_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "users" add constraint "users_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "refresh_token" add constraint "refresh_token_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "refresh_token" add constraint "refresh_token_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
  }

}
