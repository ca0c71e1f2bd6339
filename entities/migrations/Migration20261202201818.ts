import { Migration } from '@mikro-orm/migrations';

export class Migration20261202201818 extends Migration {

  override name = 'Migration20261202201818';

  override up(): void | Promise<void> {
    this.addSql(`create table "refresh_token_families" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "user_id" uuid not null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "refresh_token_families_tenant_id_index" on "refresh_token_families" ("tenant_id");`);
    this.addSql(`create index "refresh_token_families_user_id_index" on "refresh_token_families" ("user_id");`);

    this.addSql(`alter table "users" add "token_version" int not null default 0;`);

    // Hand-written: the families of refresh tokens issued before this table existed, so
    // they keep rotating; a family with any revoked token is revoked.
    this.addSql(`insert into "refresh_token_families" ("id", "created_at", "updated_at", "tenant_id", "user_id", "revoked_at")
      select "family_id", min("created_at"), now(), min("tenant_id"::text)::uuid, min("user_id"::text)::uuid, max("revoked_at")
      from "refresh_token" group by "family_id";`);

    this.addSql(`alter table "refresh_token_families" add constraint "refresh_token_families_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "refresh_token_families" add constraint "refresh_token_families_user_id_foreign" foreign key ("user_id") references "users" ("id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "refresh_token_families" cascade;`);

    this.addSql(`alter table "users" drop column "token_version";`);
  }

}
