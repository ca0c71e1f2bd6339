import { Migration } from '@mikro-orm/migrations';

/** Start rows keep the longest X-Request-Id the API accepts (128; was 100: a 500 the fuzz suite found). */
export class Migration20261203073040 extends Migration {

  override name = 'Migration20261203073040';

  override up(): void | Promise<void> {

    this.addSql(`alter table "workflow_starts" alter column "request_id" type varchar(128) using ("request_id"::varchar(128));`);
  }

  override down(): void | Promise<void> {

    this.addSql(`alter table "workflow_starts" alter column "request_id" type varchar(100) using ("request_id"::varchar(100));`);
  }

}
