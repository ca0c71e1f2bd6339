import { Migration } from '@mikro-orm/migrations';

/**
 * The uploading request's key on a lead import (its `requestKey`): a retried upload whose
 * first try committed before the API died finds that import and its run instead of
 * importing the file a second time.
 */
export class Migration20261206140000 extends Migration {
  override name = 'Migration20261206140000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "lead_imports" add "request_key" varchar(64) null;`);
    this.addSql(`alter table "lead_imports" add constraint "lead_imports_tenant_id_request_key_unique" unique ("tenant_id", "request_key");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "lead_imports" drop constraint "lead_imports_tenant_id_request_key_unique";`);
    this.addSql(`alter table "lead_imports" drop column "request_key";`);
  }
}
