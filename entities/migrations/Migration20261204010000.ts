import { Migration } from '@mikro-orm/migrations';

/**
 * Each passage's embedding also as its sign bits (binary quantization): the semantic side
 * of search ranks by Hamming distance first (`bit_count(a # b)`, a C loop over 48 bytes
 * for 384 dimensions) and computes the exact cosine only for the nearest few hundred.
 * Without pgvector, the exact scan of every vector cost ~30 µs a passage.
 */
export class Migration20261204010000 extends Migration {
  override name = 'Migration20261204010000';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function knowledge_signs(a real[]) returns varbit language sql immutable strict parallel safe as $$ select array_to_string(array(select case when x > 0 then '1' else '0' end from unnest(a) as t(x)), '')::varbit $$;`);
    this.addSql(`alter table "knowledge_chunks" add column "embedding_signs" varbit generated always as (knowledge_signs("embedding")) stored;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "knowledge_chunks" drop column "embedding_signs";`);
    this.addSql(`drop function if exists knowledge_signs(real[]);`);
  }
}
