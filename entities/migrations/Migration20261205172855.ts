import { Migration } from '@mikro-orm/migrations';

/** Signal-With-Start rows in the outbox: a change a run must hear of is owed like a start. */
export class Migration20261205172855 extends Migration {

  override name = 'Migration20261205172855';

  override up(): void | Promise<void> {
    this.addSql(`alter table "workflow_starts" add "signal" varchar(100) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "workflow_starts" drop column "signal";`);
  }

}
