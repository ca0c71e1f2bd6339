import { Migration } from '@mikro-orm/migrations';

/** Lead timeline notes synced as Salesforce Tasks: one deleted there is archived here, out of the timeline. */
export class Migration20261204062750 extends Migration {
  override name = 'Migration20261204062750';

  override up(): void | Promise<void> {
    this.addSql(`alter table "lead_activities" add "archived_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "lead_activities" drop column "archived_at";`);
  }
}
