import { Migration } from '@mikro-orm/migrations';

/**
 * A campaign's database steps, one record per contact and step (entities/Automation.ts
 * CampaignStep), so a retried batch finds them done. Same-tenant composite key by hand.
 */
export class Migration20261205220520 extends Migration {

  override name = 'Migration20261205220520';

  override up(): void | Promise<void> {
    this.addSql(`create table "campaign_steps" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "campaign_id" uuid not null, "contact_id" uuid not null, "step_id" varchar(40) not null, "output" jsonb null, primary key ("id"));`);
    this.addSql(`create index "campaign_steps_tenant_id_index" on "campaign_steps" ("tenant_id");`);
    this.addSql(`alter table "campaign_steps" add constraint "campaign_steps_campaign_id_contact_id_step_id_unique" unique ("campaign_id", "contact_id", "step_id");`);
    this.addSql(`alter table "campaign_steps" add constraint "campaign_steps_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "campaign_steps" add constraint "campaign_steps_campaign_id_foreign" foreign key ("campaign_id") references "campaigns" ("id") on delete cascade;`);
    // A step record belongs to a campaign of its own tenant.
    this.addSql(`alter table "campaigns" add constraint "campaigns_tenant_id_id_unique" unique ("tenant_id", "id");`);
    this.addSql(`alter table "campaign_steps" add constraint "campaign_steps_campaign_id_same_tenant_fk" foreign key ("tenant_id", "campaign_id") references "campaigns" ("tenant_id", "id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "campaign_steps" cascade;`);
    this.addSql(`alter table "campaigns" drop constraint "campaigns_tenant_id_id_unique";`);
  }

}
