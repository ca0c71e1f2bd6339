import { Migration } from '@mikro-orm/migrations';

export class Migration20261203102255 extends Migration {

  override name = 'Migration20261203102255';

  override up(): void | Promise<void> {
    // Substring search from an index (pg_trgm ships with PostgreSQL's contrib modules, the embedded one included).
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`create index "contact_search_trgm_index" on "contact" using gin ((coalesce("name", '') || chr(1) || coalesce("email", '') || chr(1) || coalesce("phone", '') || chr(1) || coalesce("organization", '')) gin_trgm_ops);`);
    this.addSql(`create index "contact_organization_trgm_index" on "contact" using gin ("organization" gin_trgm_ops);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "contact_search_trgm_index";`);
    this.addSql(`drop index "contact_organization_trgm_index";`);
  }

}
