import { Migration } from '@mikro-orm/migrations';

export class Migration20261202204851 extends Migration {

  override name = 'Migration20261202204851';

  override up(): void | Promise<void> {













    this.addSql(`alter table "messages" add "request_key" varchar(64) null;`);
    this.addSql(`alter table "messages" add constraint "messages_tenant_id_request_key_unique" unique ("tenant_id", "request_key");`);


  }

  override down(): void | Promise<void> {




    this.addSql(`alter table "messages" drop constraint "messages_tenant_id_request_key_unique";`);
    this.addSql(`alter table "messages" drop column "request_key";`);








  }

}
