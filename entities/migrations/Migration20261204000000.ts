import { Migration } from '@mikro-orm/migrations';

/**
 * The knowledge base: documents, their passages with a generated full-text vector (GIN)
 * and an embedding as `real[]`, a dot product for unit vectors, and the reply triage
 * drafts from it on each message.
 */
export class Migration20261204000000 extends Migration {

  override name = 'Migration20261204000000';

  override up(): void | Promise<void> {
    this.addSql(`create table "knowledge_documents" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "title" varchar(255) not null, "type" text not null, "source_url" text null, "filename" varchar(255) null, "format" varchar(16) null, "file" bytea null, "content" text not null default '', "status" text not null default 'indexing', "error" text null, "revision" int not null default 1, "chunk_count" int not null default 0, "chunks_embedded" int not null default 0, "embedding_model" varchar(200) null, "indexed_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "knowledge_documents_tenant_id_index" on "knowledge_documents" ("tenant_id");`);
    this.addSql(`create index "knowledge_documents_tenant_id_created_at_index" on "knowledge_documents" ("tenant_id", "created_at");`);
    this.addSql(`alter table "knowledge_documents" add constraint "knowledge_documents_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "knowledge_documents" add constraint "knowledge_documents_type_check" check ("type" in ('text', 'url', 'file'));`);
    this.addSql(`alter table "knowledge_documents" add constraint "knowledge_documents_status_check" check ("status" in ('indexing', 'ready', 'failed'));`);

    this.addSql(`create table "knowledge_chunks" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "document_id" uuid not null, "position" int not null, "content" text not null, "content_hash" varchar(64) not null, "embedding" real[] not null, "embedding_model" varchar(200) not null, "search_vector" tsvector generated always as (to_tsvector('english', "content")) stored, primary key ("id"));`);
    this.addSql(`create index "knowledge_chunks_tenant_id_index" on "knowledge_chunks" ("tenant_id", "embedding_model");`);
    this.addSql(`create index "knowledge_chunks_document_id_index" on "knowledge_chunks" ("document_id");`);
    this.addSql(`alter table "knowledge_chunks" add constraint "knowledge_chunks_document_id_position_unique" unique ("document_id", "position") deferrable initially deferred;`);
    this.addSql(`create index "knowledge_chunks_search_vector_index" on "knowledge_chunks" using gin ("search_vector");`);
    this.addSql(`alter table "knowledge_chunks" add constraint "knowledge_chunks_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "knowledge_chunks" add constraint "knowledge_chunks_document_id_foreign" foreign key ("document_id") references "knowledge_documents" ("id") on delete cascade;`);
    // A passage and its document are always one tenant's (as every tenant-owned reference).
    this.addSql(`alter table "knowledge_documents" add constraint "knowledge_documents_tenant_id_id_unique" unique ("tenant_id", "id");`);
    this.addSql(`alter table "knowledge_chunks" add constraint "knowledge_chunks_document_id_same_tenant_fk" foreign key ("tenant_id", "document_id") references "knowledge_documents" ("tenant_id", "id") on delete cascade;`);
    // Vectors are stored unit length, so their dot product is their cosine.
    this.addSql(`create or replace function knowledge_dot(a real[], b real[]) returns double precision language sql immutable strict parallel safe as $$ select sum(x::float8 * y) from unnest(a, b) as t(x, y) $$;`);

    this.addSql(`alter table "messages" add column "suggested_response" text null, add column "suggested_sources" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "messages" drop column "suggested_response", drop column "suggested_sources";`);
    this.addSql(`drop function if exists knowledge_dot(real[], real[]);`);
    this.addSql(`drop table if exists "knowledge_chunks" cascade;`);
    this.addSql(`drop table if exists "knowledge_documents" cascade;`);
  }
}
