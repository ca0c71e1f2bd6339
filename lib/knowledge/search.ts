import type { DirectSql } from '../directSql.ts';
import { pgNumbers } from '../pgArray.ts';
import type { EmbeddingProvider } from '../../providers/embeddings/types.ts';
import { passageSimilarity, reciprocalRankFusion } from './rankFusion.ts';

export interface KnowledgeHit {
  chunk_id: string;
  document_id: string;
  title: string;
  content: string;
  position: number;
  /** Calibrated, absolute, in [0, 1]: what `min_similarity` filters on (rankFusion.ts). */
  similarity: number;
  /** Of the query's words (stemmed, stop words aside), the share this passage contains. */
  lexical_coverage: number;
  /** Cosine of the query's and the passage's embeddings, when both are of the current model. */
  semantic_score: number | null;
  /** The reciprocal-rank-fusion score the results are ordered by. */
  rank_score: number;
}

export interface KnowledgeQuery {
  tenantId: string;
  query: string;
  limit: number;
  minSimilarity: number;
}

/** Candidates per side before fusion: deep enough that fusion can reorder, shallow enough to stay one cheap statement. */
const CANDIDATES = 50;
/** Vectors whose exact cosine is computed, of those nearest by sign bits: all of them up to this many passages. */
export const RERANKED = 400;

interface CandidateRow {
  id: string;
  document_id: string;
  title: string;
  content: string;
  position: number;
  lexical_rank: number | null;
  semantic_rank: number | null;
  coverage: number;
  cosine: number | null;
}

/**
 * The statement, on its own so the bench can run it bare. `$1` tenant, `$2` query text,
 * `$3` model, `$4` the query's vector, `$5` candidates per side, `$6` vectors re-ranked exactly.
 *
 * Lexical side: passages containing any of the query's lexemes (an OR of them, so one
 * missing word does not hide a passage), those matching `websearch_to_tsquery` (every
 * word, phrases, `-not`) first, then by `ts_rank_cd`; the GIN index finds them. Semantic
 * side: the passages of the current model nearest by the Hamming distance of their sign
 * bits (binary quantization, one cheap pass), the closest `$6` of those re-ranked by the
 * exact dot product (unit vectors: cosine). Both sides come back in one round trip with
 * the numbers fusion and calibration need.
 */
export const KNOWLEDGE_SEARCH_SQL = `
with signs as materialized (
  select knowledge_signs($4::real[]) as bits
), q as (
  select websearch_to_tsquery('english', $2) as web,
         coalesce(tsvector_to_array(to_tsvector('english', $2)), '{}') as lexemes
), q2 as (
  select web, lexemes,
         case when cardinality(lexemes) = 0 then null
              else (select string_agg('''' || replace(replace(l, '\\', '\\\\'), '''', '''''') || '''', ' | ') from unnest(lexemes) l)::tsquery end as any_word
  from q
), lexical as (
  select c.id, row_number() over (order by c.search_vector @@ q2.web desc, ts_rank_cd(c.search_vector, q2.any_word) desc, c.id) as rank
  from knowledge_chunks c, q2
  where c.tenant_id = $1 and q2.any_word is not null and c.search_vector @@ q2.any_word
  order by rank limit $5
), near as (
  select c.id, c.embedding
  from knowledge_chunks c, signs
  where c.tenant_id = $1 and c.embedding_model = $3
  order by bit_count(c.embedding_signs # signs.bits), c.id limit $6
), scored as (
  select near.id, knowledge_dot(near.embedding, $4::real[]) as cosine from near
), semantic as (
  select id, cosine, row_number() over (order by cosine desc, id) as rank
  from scored
  order by rank limit $5
), picked as (
  select coalesce(l.id, s.id) as id, l.rank as lexical_rank, s.rank as semantic_rank, s.cosine
  from lexical l full join semantic s on s.id = l.id
)
select c.id, c.document_id, d.title, c.content, c.position, p.lexical_rank::int, p.semantic_rank::int,
       case when cardinality(q2.lexemes) = 0 then 0
            else (select count(*) from unnest(q2.lexemes) l where l = any(tsvector_to_array(c.search_vector)))::float8 / cardinality(q2.lexemes) end as coverage,
       -- Computed once: the semantic side's own, else (a lexical-only passage of the current model) here.
       coalesce(p.cosine, case when c.embedding_model = $3 then knowledge_dot(c.embedding, $4::real[]) end) as cosine
from picked p
join knowledge_chunks c on c.id = p.id
join knowledge_documents d on d.id = c.document_id
cross join q2`;

/**
 * Hybrid search over a tenant's passages: full-text and vector candidates from one
 * statement, fused by reciprocal rank (the order), each scored by `passageSimilarity`
 * (the threshold). Every statement names the tenant: a passage of another tenant is
 * never a candidate.
 */
export async function searchKnowledge(sql: DirectSql, embeddings: EmbeddingProvider, q: KnowledgeQuery): Promise<KnowledgeHit[]> {
  const [vector] = await embeddings.embed([q.query]);
  const rows = await sql<CandidateRow>(KNOWLEDGE_SEARCH_SQL, [q.tenantId, q.query, embeddings.model, pgNumbers(vector), CANDIDATES, RERANKED]);
  const byRank = (side: 'lexical_rank' | 'semantic_rank') =>
    rows
      .filter((r) => r[side] !== null)
      .sort((a, b) => a[side]! - b[side]!)
      .map((r) => ({ key: r.id, item: r }));
  return reciprocalRankFusion([byRank('lexical_rank'), byRank('semantic_rank')])
    .map(({ item: r, score }) => ({
      chunk_id: r.id,
      document_id: r.document_id,
      title: r.title,
      content: r.content,
      position: r.position,
      similarity: passageSimilarity({ coverage: r.coverage, cosine: r.cosine, calibration: embeddings.calibration }),
      lexical_coverage: Math.round(r.coverage * 10_000) / 10_000,
      semantic_score: r.cosine === null ? null : Math.round(r.cosine * 10_000) / 10_000,
      rank_score: Math.round(score * 1_000_000) / 1_000_000,
    }))
    .filter((hit) => hit.similarity >= q.minSimilarity)
    .slice(0, q.limit);
}
