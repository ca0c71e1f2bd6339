import { Migration } from '@mikro-orm/migrations';

/** Calendar events get the fields of seeds 000 and 002 (description, zone, all-day, attendees, lead, external calendar); the lead reference gets its same-tenant key by hand. */
export class Migration20261203073419 extends Migration {

  override name = 'Migration20261203073419';

  override up(): void | Promise<void> {
    this.addSql(`alter table "calendar_event" add "description" text null, add "timezone" varchar(64) null, add "all_day" boolean not null default false, add "attendees" text[] not null default '{}', add "lead_id" uuid null, add "external_calendar_id" varchar(300) null, add "external_calendar_type" varchar(20) null;`);
    this.addSql(`alter table "calendar_event" add constraint "calendar_event_lead_id_foreign" foreign key ("lead_id") references "lead" ("id") on delete set null;`);
    this.addSql(`alter table "calendar_event" add constraint "calendar_event_lead_id_same_tenant_fk" foreign key ("tenant_id", "lead_id") references "lead" ("tenant_id", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "calendar_event" drop constraint if exists "calendar_event_lead_id_same_tenant_fk";`);
    this.addSql(`alter table "calendar_event" drop constraint "calendar_event_lead_id_foreign";`);
    this.addSql(`alter table "calendar_event" drop column "description", drop column "timezone", drop column "all_day", drop column "attendees", drop column "lead_id", drop column "external_calendar_id", drop column "external_calendar_type";`);
  }

}
