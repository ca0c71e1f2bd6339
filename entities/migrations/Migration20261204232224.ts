import { Migration } from '@mikro-orm/migrations';

export class Migration20261204232224 extends Migration {

  override name = 'Migration20261204232224';

  override up(): void | Promise<void> {

    this.addSql(`alter table "calendar_connections" add "reminders_to_tell" text[] not null default '{}';`);

  }

  override down(): void | Promise<void> {

    this.addSql(`alter table "calendar_connections" drop column "reminders_to_tell";`);

  }

}
