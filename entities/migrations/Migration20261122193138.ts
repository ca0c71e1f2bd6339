import { Migration } from '@mikro-orm/migrations';

export class Migration20261122193138 extends Migration {

  override name = 'Migration20261122193138';

  override up(): void | Promise<void> {
    this.addSql(`create table "idempotency_key" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "scope" varchar(100) not null, "key" varchar(255) not null, "method" varchar(10) not null, "path" varchar(500) not null, "request_hash" varchar(64) not null, "response_status" int null, "response_body" jsonb null, "expires_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "idempotency_key_expires_at_index" on "idempotency_key" ("expires_at");`);
    this.addSql(`alter table "idempotency_key" add constraint "idempotency_key_scope_key_unique" unique ("scope", "key");`);

    this.addSql(`create table "tenant" ("id" uuid not null, "name" varchar(200) not null, "phone_numbers" text[] not null default '{}', "timezone" varchar(64) not null default 'UTC', "settings" jsonb not null, "onboarded_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "pipeline" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "name" varchar(100) not null, "is_default" boolean not null default false, "stages" jsonb not null, primary key ("id"));`);
    this.addSql(`create index "pipeline_tenant_id_index" on "pipeline" ("tenant_id");`);
    this.addSql(`alter table "pipeline" add constraint "pipeline_tenant_id_name_unique" unique ("tenant_id", "name");`);

    this.addSql(`create table "events" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "type" varchar(100) not null, "entity_type" varchar(50) not null, "entity_id" uuid not null, "payload" jsonb not null, "dispatched_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "events_tenant_id_index" on "events" ("tenant_id");`);
    this.addSql(`create index "events_tenant_id_type_created_at_index" on "events" ("tenant_id", "type", "created_at");`);
    this.addSql(`create index "events_dispatched_at_index" on "events" ("dispatched_at");`);

    this.addSql(`create table "contact" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "name" varchar(200) not null, "email" varchar(320) null, "phone" varchar(32) null, "organization" varchar(200) null, "notes" text null, "tags" text[] not null default '{}', "custom_fields" jsonb not null, "sms_opt_out" boolean not null default false, primary key ("id"));`);
    this.addSql(`create index "contact_tenant_id_index" on "contact" ("tenant_id");`);
    this.addSql(`create index "contact_tenant_id_email_index" on "contact" ("tenant_id", "email");`);
    this.addSql(`create index "contact_tenant_id_phone_index" on "contact" ("tenant_id", "phone");`);

    this.addSql(`create table "task" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "title" varchar(300) not null, "due_at" timestamptz null, "status" text not null default 'open', "contact_id" uuid null, "source_message_id" uuid null, "dedupe_key" varchar(200) null, primary key ("id"));`);
    this.addSql(`create index "task_tenant_id_index" on "task" ("tenant_id");`);
    this.addSql(`alter table "task" add constraint "task_tenant_id_dedupe_key_unique" unique ("tenant_id", "dedupe_key");`);
    this.addSql(`alter table "task" add constraint "task_status_check" check ("status" in ('open', 'done', 'cancelled'));`);

    this.addSql(`create table "calendar_event" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "title" varchar(300) not null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "location" varchar(300) null, "status" text not null default 'proposed', "contact_id" uuid null, "source_message_id" uuid null, "dedupe_key" varchar(200) null, primary key ("id"));`);
    this.addSql(`create index "calendar_event_tenant_id_index" on "calendar_event" ("tenant_id");`);
    this.addSql(`create index "calendar_event_tenant_id_starts_at_index" on "calendar_event" ("tenant_id", "starts_at");`);
    this.addSql(`alter table "calendar_event" add constraint "calendar_event_tenant_id_dedupe_key_unique" unique ("tenant_id", "dedupe_key");`);
    this.addSql(`alter table "calendar_event" add constraint "calendar_event_status_check" check ("status" in ('proposed', 'confirmed', 'cancelled'));`);

    this.addSql(`create table "users" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "email" varchar(320) not null, "password_hash" varchar(255) not null, "first_name" varchar(100) null, "last_name" varchar(100) null, "phone" varchar(32) null, "role" text not null default 'user', "is_active" boolean not null default true, "last_login_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "users_tenant_id_index" on "users" ("tenant_id");`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);
    this.addSql(`alter table "users" add constraint "users_role_check" check ("role" in ('admin', 'manager', 'user'));`);

    this.addSql(`create table "refresh_token" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "user_id" uuid not null, "family_id" uuid not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "refresh_token_tenant_id_index" on "refresh_token" ("tenant_id");`);
    this.addSql(`create index "refresh_token_user_id_index" on "refresh_token" ("user_id");`);
    this.addSql(`create index "refresh_token_family_id_index" on "refresh_token" ("family_id");`);
    this.addSql(`alter table "refresh_token" add constraint "refresh_token_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "lead" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "contact_id" uuid not null, "title" varchar(300) not null, "source" varchar(50) not null, "status" text not null default 'new', "value" numeric(10,0) null, "score" int null, "pipeline_id" uuid null, "stage_id" varchar(50) null, "assigned_to_id" uuid null, "notes" text null, "source_message_id" uuid null, primary key ("id"));`);
    this.addSql(`create index "lead_tenant_id_index" on "lead" ("tenant_id");`);
    this.addSql(`create index "lead_contact_id_index" on "lead" ("contact_id");`);
    this.addSql(`create index "lead_tenant_id_status_index" on "lead" ("tenant_id", "status");`);
    this.addSql(`alter table "lead" add constraint "lead_status_check" check ("status" in ('new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost'));`);

    this.addSql(`create table "messages" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "channel" text not null, "external_id" varchar(100) null, "subject" varchar(500) null, "content" text not null, "customer_name" varchar(200) null, "customer_email" varchar(320) null, "customer_phone" varchar(32) null, "received_at" timestamptz not null, "status" text not null default 'new', "response" text null, "category" text null, "intent" varchar(200) null, "priority" text null, "sentiment" double precision null, "language" varchar(8) null, "summary" text null, "extracted_data" jsonb null, "ai_confidence" double precision null, "classifier" varchar(100) null, "triage_run_key" varchar(200) null, "triaged_at" timestamptz null, "reviewed_at" timestamptz null, "contact_id" uuid null, "lead_id" uuid null, "metadata" jsonb not null, primary key ("id"));`);
    this.addSql(`create index "messages_tenant_id_index" on "messages" ("tenant_id");`);
    this.addSql(`create index "messages_tenant_id_received_at_index" on "messages" ("tenant_id", "received_at");`);
    this.addSql(`create index "messages_tenant_id_status_index" on "messages" ("tenant_id", "status");`);
    this.addSql(`alter table "messages" add constraint "messages_tenant_id_channel_external_id_unique" unique ("tenant_id", "channel", "external_id");`);
    this.addSql(`alter table "messages" add constraint "messages_channel_check" check ("channel" in ('sms', 'email', 'web_widget', 'telegram', 'whatsapp', 'voice'));`);
    this.addSql(`alter table "messages" add constraint "messages_status_check" check ("status" in ('new', 'triaged', 'needs_review', 'in_progress', 'resolved', 'spam'));`);
    this.addSql(`alter table "messages" add constraint "messages_category_check" check ("category" in ('sales_inquiry', 'support', 'appointment', 'billing', 'complaint', 'spam', 'other'));`);
    this.addSql(`alter table "messages" add constraint "messages_priority_check" check ("priority" in ('low', 'medium', 'high', 'urgent'));`);

    this.addSql(`alter table "pipeline" add constraint "pipeline_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "events" add constraint "events_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "contact" add constraint "contact_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "task" add constraint "task_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "task" add constraint "task_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete cascade;`);

    this.addSql(`alter table "calendar_event" add constraint "calendar_event_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "calendar_event" add constraint "calendar_event_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete set null;`);

    this.addSql(`alter table "users" add constraint "users_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "refresh_token" add constraint "refresh_token_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "refresh_token" add constraint "refresh_token_user_id_foreign" foreign key ("user_id") references "users" ("id");`);

    this.addSql(`alter table "lead" add constraint "lead_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "lead" add constraint "lead_contact_id_foreign" foreign key ("contact_id") references "contact" ("id");`);
    this.addSql(`alter table "lead" add constraint "lead_pipeline_id_foreign" foreign key ("pipeline_id") references "pipeline" ("id") on delete set null;`);
    this.addSql(`alter table "lead" add constraint "lead_assigned_to_id_foreign" foreign key ("assigned_to_id") references "users" ("id") on delete set null;`);

    this.addSql(`alter table "messages" add constraint "messages_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "messages" add constraint "messages_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete set null;`);
    this.addSql(`alter table "messages" add constraint "messages_lead_id_foreign" foreign key ("lead_id") references "lead" ("id") on delete set null;`);
  }

}
