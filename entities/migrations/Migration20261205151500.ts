import { Migration } from '@mikro-orm/migrations';

export class Migration20261205151500 extends Migration {

  override name = 'Migration20261205151500';

  override up(): void | Promise<void> {
    this.addSql(`alter table "tenant" add "twilio_previous_account_sid" varchar(64) null, add "twilio_previous_auth_token_sealed" text null, add "twilio_previous_until" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "tenant" drop column "twilio_previous_account_sid", drop column "twilio_previous_auth_token_sealed", drop column "twilio_previous_until";`);
  }

}
