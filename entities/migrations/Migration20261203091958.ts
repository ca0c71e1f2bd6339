import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091958 extends Migration {

  override name = 'Migration20261203091958';

  override up(): void | Promise<void> {
    // Money to the cent with its currency (lib/money.ts); numeric(10,0) rounded 1234.56 to 1235 and overflowed at 1e10.
    this.addSql(`alter table "lead" add "currency" varchar(3) not null default 'USD';`);
    this.addSql(`alter table "lead" alter column "value" type numeric(14,2) using ("value"::numeric(14,2));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "lead" drop column "currency";`);
    this.addSql(`alter table "lead" alter column "value" type numeric(10,0) using ("value"::numeric(10,0));`);
  }

}
