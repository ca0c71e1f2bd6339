import { Migration } from '@mikro-orm/migrations';

export class Migration20261204095559 extends Migration {

  override name = 'Migration20261204095559';

  override up(): void | Promise<void> {

    this.addSql(`alter table "automations" add "schedule_pending" boolean not null default false;`);

  }

  override down(): void | Promise<void> {

    this.addSql(`alter table "automations" drop column "schedule_pending";`);

  }

}
