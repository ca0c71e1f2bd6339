import { Migration } from '@mikro-orm/migrations';

/**
 * Outbound messages and reminders (issue: SMS, email and reminders), the tenant's quiet
 * hours and own Twilio account. Tenants that exist get the default quiet hours; the
 * composite same-tenant keys (see Migration20261202203500) are added by hand at the end.
 */
const TARGETS = ['calendar_event'];
const RELATIONS: Array<[table: string, column: string, target: string]> = [
  ['outbound_messages', 'contact_id', 'contact'],
  ['reminders', 'contact_id', 'contact'],
  ['reminders', 'event_id', 'calendar_event'],
];

export class Migration20261203063257 extends Migration {

  override name = 'Migration20261203063257';

  override up(): void | Promise<void> {
    this.addSql(`create table "outbound_messages" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "channel" text not null, "to_address" varchar(320) not null, "from_address" varchar(320) null, "subject" varchar(300) null, "body" text not null, "contact_id" uuid null, "status" text not null default 'queued', "provider" varchar(20) null, "account_sid" varchar(64) null, "provider_sid" varchar(100) null, "error_code" varchar(20) null, "error_message" varchar(500) null, "cause" jsonb not null, "idempotency_key" varchar(200) not null, "attempts" int not null default 0, "attempted_at" timestamptz null, "sent_at" timestamptz null, "delivered_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "outbound_messages_tenant_id_index" on "outbound_messages" ("tenant_id");`);
    this.addSql(`create index "outbound_messages_tenant_id_created_at_index" on "outbound_messages" ("tenant_id", "created_at");`);
    this.addSql(`create index "outbound_messages_provider_sid_index" on "outbound_messages" ("provider_sid");`);
    this.addSql(`alter table "outbound_messages" add constraint "outbound_messages_tenant_id_idempotency_key_unique" unique ("tenant_id", "idempotency_key");`);

    this.addSql(`create table "reminders" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "channel" text not null, "contact_id" uuid null, "to_address" varchar(320) null, "subject" varchar(300) null, "message" text not null, "send_at" timestamptz null, "timezone" varchar(64) not null, "locale" varchar(35) not null default 'en-US', "event_id" uuid null, "offset" varchar(20) null, "offset_ms" bigint null, "rrule" varchar(500) null, "until" timestamptz null, "urgent" boolean not null default false, "status" text not null default 'scheduled', "next_send_at" timestamptz null, "last_occurrence_at" timestamptz null, "sent_count" int not null default 0, "sent_at" timestamptz null, "last_error" varchar(500) null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "reminders_tenant_id_index" on "reminders" ("tenant_id");`);
    this.addSql(`create index "reminders_tenant_id_status_next_send_at_index" on "reminders" ("tenant_id", "status", "next_send_at");`);
    this.addSql(`create index "reminders_tenant_id_event_id_index" on "reminders" ("tenant_id", "event_id");`);
    this.addSql(`create index "reminders_tenant_id_contact_id_index" on "reminders" ("tenant_id", "contact_id");`);

    this.addSql(`alter table "tenant" add "quiet_hours" jsonb null, add "twilio_account_sid" varchar(64) null, add "twilio_auth_token_sealed" text null;`);
    this.addSql(`alter table "tenant" add constraint "tenant_twilio_account_sid_unique" unique ("twilio_account_sid");`);

    this.addSql(`alter table "outbound_messages" add constraint "outbound_messages_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "outbound_messages" add constraint "outbound_messages_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete set null;`);
    this.addSql(`alter table "outbound_messages" add constraint "outbound_messages_channel_check" check ("channel" in ('sms', 'whatsapp', 'email'));`);
    this.addSql(`alter table "outbound_messages" add constraint "outbound_messages_status_check" check ("status" in ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'blocked'));`);

    this.addSql(`alter table "reminders" add constraint "reminders_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "reminders" add constraint "reminders_contact_id_foreign" foreign key ("contact_id") references "contact" ("id") on delete set null;`);
    this.addSql(`alter table "reminders" add constraint "reminders_event_id_foreign" foreign key ("event_id") references "calendar_event" ("id") on delete set null;`);
    this.addSql(`alter table "reminders" add constraint "reminders_channel_check" check ("channel" in ('sms', 'whatsapp', 'email'));`);
    this.addSql(`alter table "reminders" add constraint "reminders_status_check" check ("status" in ('scheduled', 'sent', 'cancelled', 'failed'));`);

    this.addSql(`update "tenant" set "quiet_hours" = '{"start":"21:00","end":"08:00"}'::jsonb;`);
    for (const t of TARGETS) this.addSql(`alter table "${t}" add constraint "${t}_tenant_id_id_unique" unique ("tenant_id", "id");`);
    for (const [table, column, target] of RELATIONS) {
      this.addSql(`alter table "${table}" add constraint "${table}_${column}_same_tenant_fk" foreign key ("tenant_id", "${column}") references "${target}" ("tenant_id", "id");`);
    }
  }

  override down(): void | Promise<void> {
    for (const t of TARGETS) this.addSql(`alter table "${t}" drop constraint if exists "${t}_tenant_id_id_unique";`);
    this.addSql(`drop table if exists "outbound_messages" cascade;`);
    this.addSql(`drop table if exists "reminders" cascade;`);

    this.addSql(`alter table "tenant" drop constraint "tenant_twilio_account_sid_unique";`);
    this.addSql(`alter table "tenant" drop column "quiet_hours", drop column "twilio_account_sid", drop column "twilio_auth_token_sealed";`);

  }

}
