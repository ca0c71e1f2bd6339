import { Migration } from '@mikro-orm/migrations';

/**
 * The creating request's key on a knowledge document (its `requestKey`): a retried POST
 * whose first try committed before the API died finds that document and its indexing run
 * instead of storing and indexing a second copy.
 */
export class Migration20261206110000 extends Migration {
  override name = 'Migration20261206110000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "knowledge_documents" add "request_key" varchar(64) null;`);
    this.addSql(`alter table "knowledge_documents" add constraint "knowledge_documents_tenant_id_request_key_unique" unique ("tenant_id", "request_key");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "knowledge_documents" drop constraint "knowledge_documents_tenant_id_request_key_unique";`);
    this.addSql(`alter table "knowledge_documents" drop column "request_key";`);
  }
}
