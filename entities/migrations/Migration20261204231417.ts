import { Migration } from '@mikro-orm/migrations';

export class Migration20261204231417 extends Migration {

  override name = 'Migration20261204231417';

  override up(): void | Promise<void> {

    this.addSql(`alter table "calendar_event" add "external_sync_error" varchar(500) null;`);

  }

  override down(): void | Promise<void> {

    this.addSql(`alter table "calendar_event" drop column "external_sync_error";`);

  }

}
