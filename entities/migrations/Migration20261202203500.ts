import { Migration } from '@mikro-orm/migrations';

/**
 * Hand-written: a row can never point at another tenant's row. Every many-to-one between
 * tenant-owned tables gets a composite foreign key (tenant_id, x_id) → target (tenant_id,
 * id), on top of the single-column key that carries the delete rule (cascade, set null):
 * MATCH SIMPLE lets a nulled reference pass, and the composite check runs after the
 * cascades. test/api/tenancyKeys.test.ts fails when a relation lacks one.
 */
const TARGETS = ['webhook_endpoints', 'events', 'webhook_deliveries', 'contact', 'users', 'lead', 'pipeline'];
const RELATIONS: Array<[table: string, column: string, target: string]> = [
  ['webhook_deliveries', 'endpoint_id', 'webhook_endpoints'],
  ['webhook_deliveries', 'event_id', 'events'],
  ['webhook_attempts', 'delivery_id', 'webhook_deliveries'],
  ['task', 'contact_id', 'contact'],
  ['refresh_token_families', 'user_id', 'users'],
  ['refresh_token', 'user_id', 'users'],
  ['messages', 'contact_id', 'contact'],
  ['messages', 'lead_id', 'lead'],
  ['lead', 'contact_id', 'contact'],
  ['lead', 'pipeline_id', 'pipeline'],
  ['lead', 'assigned_to_id', 'users'],
  ['calendar_event', 'contact_id', 'contact'],
];

export class Migration20261202203500 extends Migration {
  override name = 'Migration20261202203500';

  override up(): void {
    for (const t of TARGETS) this.addSql(`alter table "${t}" add constraint "${t}_tenant_id_id_unique" unique ("tenant_id", "id");`);
    for (const [table, column, target] of RELATIONS) {
      this.addSql(`alter table "${table}" add constraint "${table}_${column}_same_tenant_fk" foreign key ("tenant_id", "${column}") references "${target}" ("tenant_id", "id");`);
    }
  }

  override down(): void {
    for (const [table, column] of RELATIONS) this.addSql(`alter table "${table}" drop constraint if exists "${table}_${column}_same_tenant_fk";`);
    for (const t of TARGETS) this.addSql(`alter table "${t}" drop constraint if exists "${t}_tenant_id_id_unique";`);
  }
}
