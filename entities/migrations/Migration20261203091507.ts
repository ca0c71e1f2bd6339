import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091507 extends Migration {

  override name = 'Migration20261203091507';

  override up(): void | Promise<void> {
    // The relay is woken only by what it has to do (entities/Event.ts, entities/WorkflowStart.ts).
    this.addSql(`drop trigger if exists "events_notify_outbox" on "events";`);
    this.addSql(`drop function if exists "events_events_notify_outbox_fn"();`);
    this.addSql(`create or replace function "events_events_mark_unsubscribed_fn"() returns trigger as \$\$ begin if not exists (select 1 from webhook_endpoints w where w.tenant_id = new.tenant_id and w.enabled) then new.dispatched_at := now(); end if; return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "events_mark_unsubscribed" BEFORE INSERT on "events" for each ROW
  when (new.dispatched_at is null) execute function "events_events_mark_unsubscribed_fn"();`);
    this.addSql(`create or replace function "events_events_notify_outbox_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', ''); return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "events_notify_outbox" AFTER INSERT on "events" for each ROW
  when (new.dispatched_at is null) execute function "events_events_notify_outbox_fn"();`);
    this.addSql(`drop trigger if exists "workflow_starts_notify_outbox" on "workflow_starts";`);
    this.addSql(`drop function if exists "workflow_starts_workflow_starts_notify_outbox_fn"();`);
    this.addSql(`create or replace function "workflow_starts_workflow_starts_notify_outbox_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', 'starts'); return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "workflow_starts_notify_outbox" AFTER INSERT on "workflow_starts" for each ROW
  when (new.claimed_until = 'epoch') execute function "workflow_starts_workflow_starts_notify_outbox_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "events_mark_unsubscribed" on "events";`);
    this.addSql(`drop function if exists "events_events_mark_unsubscribed_fn"();`);
    this.addSql(`drop trigger if exists "events_notify_outbox" on "events";`);
    this.addSql(`drop function if exists "events_events_notify_outbox_fn"();`);
    this.addSql(`create or replace function "events_events_notify_outbox_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', ''); return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "events_notify_outbox" AFTER INSERT on "events" for each STATEMENT execute function "events_events_notify_outbox_fn"();`);
    this.addSql(`drop trigger if exists "workflow_starts_notify_outbox" on "workflow_starts";`);
    this.addSql(`drop function if exists "workflow_starts_workflow_starts_notify_outbox_fn"();`);
    this.addSql(`create or replace function "workflow_starts_workflow_starts_notify_outbox_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', ''); return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "workflow_starts_notify_outbox" AFTER INSERT on "workflow_starts" for each STATEMENT execute function "workflow_starts_workflow_starts_notify_outbox_fn"();`);
  }

}
