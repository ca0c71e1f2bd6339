import { Migration } from '@mikro-orm/migrations';

export class Migration20261203130315 extends Migration {

  override name = 'Migration20261203130315';

  override up(): void | Promise<void> {
    this.addSql(`create index "lead_title_trgm_index" on "lead" using gin ("title" gin_trgm_ops);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "lead_title_trgm_index";`);
  }
}
