import { Migration } from '@mikro-orm/migrations';

export class Migration20261204093817 extends Migration {

  override name = 'Migration20261204093817';

  override up(): void | Promise<void> {

    this.addSql(`drop trigger if exists "events_mark_unsubscribed" on "events";`);
    this.addSql(`drop function if exists "events_events_mark_unsubscribed_fn"();`);
    this.addSql(`create or replace function "events_events_mark_unsubscribed_fn"() returns trigger as \$\$ begin if not exists (select 1 from webhook_endpoints w where w.tenant_id = new.tenant_id and w.enabled) and not exists (select 1 from automations a where a.tenant_id = new.tenant_id and a.enabled and a.trigger_type in ('event', 'time_based', 'sla')) and not exists (select 1 from automation_watches aw where aw.tenant_id = new.tenant_id) then new.dispatched_at := now(); end if; return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "events_mark_unsubscribed" BEFORE INSERT on "events" for each ROW
  when ((new.dispatched_at IS NULL)) execute function "events_events_mark_unsubscribed_fn"();`);

    this.addSql(`alter table "automations" add "webhook_secret_sealed" text null;`);

  }

  override down(): void | Promise<void> {

    this.addSql(`alter table "automations" drop column "webhook_secret_sealed";`);

    this.addSql(`drop trigger if exists "events_mark_unsubscribed" on "events";`);
    this.addSql(`drop function if exists "events_events_mark_unsubscribed_fn"();`);
    this.addSql(`create or replace function "events_events_mark_unsubscribed_fn"() returns trigger as \$\$ begin if not exists (select 1 from webhook_endpoints w where w.tenant_id = new.tenant_id and w.enabled) and not exists (select 1 from automations a where a.tenant_id = new.tenant_id and a.enabled and a.trigger_type in ('event', 'time_based')) and not exists (select 1 from automation_watches aw where aw.tenant_id = new.tenant_id) then new.dispatched_at := now(); end if; return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "events_mark_unsubscribed" BEFORE INSERT on "events" for each ROW
  when ((new.dispatched_at IS NULL)) execute function "events_events_mark_unsubscribed_fn"();`);

  }

}
