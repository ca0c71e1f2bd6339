import { Migration } from '@mikro-orm/migrations';

/** Same-tenant composite keys (see Migration20261202203500) are added by hand at the end. */
const TARGETS = ['companies'];
const RELATIONS: Array<[string, string, string]> = [
  ['contact', 'company_id', 'companies'],
  ['lead', 'company_id', 'companies'],
  ['lead_imports', 'user_id', 'users'],
];

export class Migration20261203114507 extends Migration {

  override name = 'Migration20261203114507';

  override up(): void | Promise<void> {
    this.addSql(`create table "companies" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "name" varchar(200) not null, "domain" varchar(253) null, "industry" varchar(100) null, "size" varchar(50) null, "address" jsonb null, "phone" varchar(32) null, "website" varchar(500) null, "notes" text null, primary key ("id"));`);
    this.addSql(`create index "companies_tenant_id_index" on "companies" ("tenant_id");`);
    this.addSql(`create unique index "companies_tenant_name_lower_unique" on "companies" ("tenant_id", lower("name"));`);
    this.addSql(`create unique index "companies_tenant_domain_unique" on "companies" ("tenant_id", "domain") where "domain" is not null;`);
    this.addSql(`create index "companies_search_trgm_index" on "companies" using gin ((coalesce("name", '') || chr(1) || coalesce("domain", '')) gin_trgm_ops);`);
    this.addSql(`create index "companies_tenant_id_industry_index" on "companies" ("tenant_id", "industry");`);

    this.addSql(`create table "lead_imports" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "user_id" uuid null, "filename" varchar(255) not null, "size_bytes" bigint not null, "content_hash" varchar(64) not null, "content" bytea not null, "status" text not null default 'queued', "columns" jsonb null, "byte_offset" bigint not null default '0', "rows_done" int not null default 0, "created" int not null default 0, "updated" int not null default 0, "rejected" int not null default 0, "rejections" jsonb not null, "error" text null, "completed_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "lead_imports_tenant_id_index" on "lead_imports" ("tenant_id");`);

    this.addSql(`alter table "contact" add "company_id" uuid null, add "job_title" varchar(200) null;`);
    this.addSql(`alter table "contact" add constraint "contact_company_id_foreign" foreign key ("company_id") references "companies" ("id") on delete set null;`);
    this.addSql(`create index "contact_company_id_index" on "contact" ("company_id");`);
    this.addSql(`create index "contact_tenant_id_created_at_index" on "contact" ("tenant_id", "created_at");`);
    this.addSql(`create index "contact_tenant_id_updated_at_index" on "contact" ("tenant_id", "updated_at");`);
    this.addSql(`create index "contact_tenant_id_name_index" on "contact" ("tenant_id", "name");`);

    this.addSql(`alter table "lead" add "score_details" jsonb null, add "scored_at" timestamptz null, add "company_id" uuid null;`);
    this.addSql(`alter table "lead" add constraint "lead_company_id_foreign" foreign key ("company_id") references "companies" ("id") on delete set null;`);
    this.addSql(`create index "lead_company_id_index" on "lead" ("company_id");`);
    this.addSql(`create index "lead_tenant_id_created_at_index" on "lead" ("tenant_id", "created_at");`);
    this.addSql(`create index "lead_tenant_id_updated_at_index" on "lead" ("tenant_id", "updated_at");`);
    this.addSql(`create index "lead_tenant_id_value_index" on "lead" ("tenant_id", "value");`);
    this.addSql(`create index "lead_tenant_id_score_index" on "lead" ("tenant_id", "score");`);
    this.addSql(`create index "lead_tenant_id_title_index" on "lead" ("tenant_id", "title");`);
    this.addSql(`create index "lead_tenant_id_source_index" on "lead" ("tenant_id", "source");`);

    this.addSql(`alter table "companies" add constraint "companies_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "lead_imports" add constraint "lead_imports_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "lead_imports" add constraint "lead_imports_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "lead_imports" add constraint "lead_imports_status_check" check ("status" in ('queued', 'running', 'completed', 'failed'));`);

    for (const t of TARGETS) this.addSql(`alter table "${t}" add constraint "${t}_tenant_id_id_unique" unique ("tenant_id", "id");`);
    for (const [table, column, target] of RELATIONS) {
      this.addSql(`alter table "${table}" add constraint "${table}_${column}_same_tenant_fk" foreign key ("tenant_id", "${column}") references "${target}" ("tenant_id", "id");`);
    }
  }

  override down(): void | Promise<void> {
    for (const [table, column] of RELATIONS) this.addSql(`alter table "${table}" drop constraint if exists "${table}_${column}_same_tenant_fk";`);
    this.addSql(`alter table "contact" drop constraint "contact_company_id_foreign";`);
    this.addSql(`alter table "lead" drop constraint "lead_company_id_foreign";`);

    this.addSql(`drop table if exists "companies" cascade;`);
    this.addSql(`drop table if exists "lead_imports" cascade;`);

    this.addSql(`drop index "contact_company_id_index";`);
    this.addSql(`drop index "contact_tenant_id_created_at_index";`);
    this.addSql(`drop index "contact_tenant_id_updated_at_index";`);
    this.addSql(`drop index "contact_tenant_id_name_index";`);
    this.addSql(`alter table "contact" drop column "company_id", drop column "job_title";`);

    this.addSql(`drop index "lead_company_id_index";`);
    this.addSql(`drop index "lead_tenant_id_created_at_index";`);
    this.addSql(`drop index "lead_tenant_id_updated_at_index";`);
    this.addSql(`drop index "lead_tenant_id_value_index";`);
    this.addSql(`drop index "lead_tenant_id_score_index";`);
    this.addSql(`drop index "lead_tenant_id_title_index";`);
    this.addSql(`drop index "lead_tenant_id_source_index";`);
    this.addSql(`alter table "lead" drop column "score_details", drop column "scored_at", drop column "company_id";`);
  }
}
