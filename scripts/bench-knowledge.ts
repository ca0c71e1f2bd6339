/**
 * `npm run bench:knowledge`: the knowledge base at the size its issue names, 10,000
 * passages in one tenant, on the embedded default (the local hash embedding).
 *
 *   - Indexing: documents created through the API, indexed by the real worker; passages
 *     per second from the first request to the last document `ready`. Baseline: the
 *     local embedding alone over the same passages, in this process.
 *   - Search: `POST /knowledge/search` one client at a time, against the same statement
 *     (lib/knowledge/search.ts) run bare with `pg` and the query's vector made here;
 *     the two alternate query by query.
 *
 * Sizes (env): BENCH_KB_CHUNKS (10000), BENCH_KB_REQUESTS (100 per query).
 */
import { join } from 'node:path';
import pg from 'pg';
import { formatTable, withRatios, writeJson, type Row } from './bench/report.ts';
import { envInt, registerTenant, root, runBench, serviceEnv, startApi, startDatabase, startTemporal, startWorkerChild, stoppers } from './bench/stack.ts';
import { latencyStats, timedSerial } from './bench/load.ts';
import { splitIntoChunks } from '../lib/knowledge/chunks.ts';
import { KNOWLEDGE_SEARCH_SQL, RERANKED } from '../lib/knowledge/search.ts';
import { pgNumbers } from '../lib/pgArray.ts';
import { createLocalEmbeddings } from '../providers/embeddings/localEmbeddings.ts';

const log = (line: string) => console.log(`[bench:knowledge] ${line}`);
const sizes = { chunks: envInt('BENCH_KB_CHUNKS', 10_000), requests: envInt('BENCH_KB_REQUESTS', 100), chunksPerDocument: 100, concurrency: 4 };
const stops = stoppers(log);

/** A deterministic pseudo-random stream, so every run indexes the same text. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const TOPICS = ['opening hours', 'refund policy', 'shipping times', 'invoice questions', 'parking', 'appointments', 'pricing plans', 'data privacy', 'support channels', 'warranty'];
const WORDS = 'customer order delivery account payment service team office schedule booking message reply request product plan month week day hour price fee discount contract support channel email phone visit store online form document file policy return exchange warranty repair parts staff manager holiday weekend morning evening'.split(' ');

/** A handbook-like document of about `chunks` passages: paragraphs of varied, topic-led sentences. */
function documentText(d: number, paragraphs: number): string {
  const next = rng(d + 1);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  return Array.from({ length: paragraphs }, (_, p) => {
    const topic = pick(TOPICS);
    const sentences = Array.from({ length: 4 + Math.floor(next() * 3) }, () => `Our ${topic} ${Array.from({ length: 8 + Math.floor(next() * 8) }, () => pick(WORDS)).join(' ')} number ${d * 1000 + p}.`);
    return sentences.join(' ');
  }).join('\n\n');
}

const timed = timedSerial;

async function main() {
  const stamp = `${Date.now()}_${process.pid}`;
  const fileStamp = new Date().toISOString().replace(/[:.]/g, '-');
  log(`sizes: ${JSON.stringify(sizes)}`);
  const [database, temporal] = await Promise.all([startDatabase(stamp, stops, log), startTemporal(`knowledge-${fileStamp}`, stops, log)]);
  const vars = serviceEnv({ databaseUrl: database.url, temporalAddress: temporal.address, taskQueue: `bench-knowledge-${stamp}` });
  const api = await startApi(vars, stops);
  await startWorkerChild('worker', 'workers/main.ts', vars, stops, log);
  const tenant = await registerTenant(api, 'knowledge', stamp);
  const headers = { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' };
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  stops.add('pool', () => db.end());

  // Paragraphs per document so that splitting gives about `chunksPerDocument` passages.
  const probe = splitIntoChunks(documentText(0, 300)).length / 300;
  const paragraphs = Math.round(sizes.chunksPerDocument / probe);
  const documents = Math.ceil(sizes.chunks / sizes.chunksPerDocument);
  const texts = Array.from({ length: documents }, (_, d) => documentText(d, paragraphs));

  const local = createLocalEmbeddings();
  const passages = texts.flatMap((t) => splitIntoChunks(t).map((c) => c.content));
  const e0 = performance.now();
  for (let at = 0; at < passages.length; at += 64) await local.embed(passages.slice(at, at + 64));
  const embedOnlyPerSecond = passages.length / ((performance.now() - e0) / 1000);
  log(`${passages.length} passages; the local embedding alone: ${embedOnlyPerSecond.toFixed(0)} passages/s`);

  log(`indexing ${documents} documents through the API, ${sizes.concurrency} requests at a time`);
  const t0 = performance.now();
  const ids: string[] = [];
  for (let at = 0; at < documents; at += sizes.concurrency) {
    const batch = texts.slice(at, at + sizes.concurrency);
    ids.push(
      ...(await Promise.all(
        batch.map(async (content, i) => {
          const res = await fetch(`${api.baseUrl}/api/v1/knowledge/documents`, { method: 'POST', headers, body: JSON.stringify({ title: `Handbook ${at + i}`, type: 'text', content }) });
          if (res.status !== 201) throw new Error(`POST /knowledge/documents: HTTP ${res.status} ${await res.text()}`);
          return ((await res.json()) as { data: { id: string } }).data.id;
        }),
      )),
    );
  }
  for (;;) {
    const { rows } = await db.query<{ indexing: string; failed: string }>(
      "select count(*) filter (where status = 'indexing') as indexing, count(*) filter (where status = 'failed') as failed from knowledge_documents where tenant_id = $1",
      [tenant.tenantId],
    );
    if (Number(rows[0].failed)) throw new Error(`${rows[0].failed} documents failed to index`);
    if (Number(rows[0].indexing) === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const indexSeconds = (performance.now() - t0) / 1000;
  const { rows: counted } = await db.query<{ n: string }>('select count(*) as n from knowledge_chunks where tenant_id = $1', [tenant.tenantId]);
  const chunks = Number(counted[0].n);
  log(`${chunks} passages indexed in ${indexSeconds.toFixed(1)} s: ${(chunks / indexSeconds).toFixed(0)} passages/s`);
  await db.query('vacuum analyze knowledge_chunks');
  await db.query('vacuum analyze knowledge_documents');

  const queries = ['What are your opening hours on the weekend?', 'refund policy for a returned product', 'How long does delivery take?', 'invoice payment by email', 'Which support channels can I use?', 'warranty repair parts'];
  const results: Array<{ query: string; api: ReturnType<typeof latencyStats>; bare: ReturnType<typeof latencyStats> }> = [];
  for (const query of queries) {
    const viaApi = async () => {
      const res = await fetch(`${api.baseUrl}/api/v1/knowledge/search`, { method: 'POST', headers, body: JSON.stringify({ query, limit: 5, min_similarity: 0 }) });
      if (res.status !== 200) throw new Error(`POST /knowledge/search: HTTP ${res.status}`);
      await res.arrayBuffer();
    };
    const bare = async () => {
      const [vector] = await local.embed([query]);
      await db.query(KNOWLEDGE_SEARCH_SQL, [tenant.tenantId, query, local.model, pgNumbers(vector), 50, RERANKED]);
    };
    // Alternate in halves, so a slow moment of the machine falls on both.
    const half = Math.ceil(sizes.requests / 2);
    const apiMs = [...(await timed(half, viaApi))];
    const bareMs = [...(await timed(half, bare))];
    apiMs.push(...(await timed(half, viaApi)));
    bareMs.push(...(await timed(half, bare)));
    const [a, b] = [latencyStats(apiMs), latencyStats(bareMs)];
    log(`"${query}": API p50 ${a.p50.toFixed(1)} / p99 ${a.p99.toFixed(1)} ms, bare SQL p50 ${b.p50.toFixed(1)} / p99 ${b.p99.toFixed(1)} ms`);
    results.push({ query, api: a, bare: b });
  }

  const pooled = (side: 'api' | 'bare', p: 'p50' | 'p99') => results.map((r) => r[side][p]).sort((x, y) => x - y)[Math.floor(results.length / 2)];
  const section = `POST /knowledge/search, ${chunks} passages in the tenant (baseline: the same statement run bare); median over ${queries.length} queries`;
  const rows: Row[] = [
    { section, metric: 'p50', unit: 'ms', value: pooled('api', 'p50'), baseline: pooled('bare', 'p50'), better: 'lower' },
    { section, metric: 'p99', unit: 'ms', value: pooled('api', 'p99'), baseline: pooled('bare', 'p99'), better: 'lower' },
    { section: `Indexing ${chunks} passages, local embedding (baseline: the embedding alone)`, metric: 'throughput', unit: 'passages/s', value: chunks / indexSeconds, baseline: embedOnlyPerSecond, better: 'higher' },
  ];
  const table = withRatios(rows);
  console.log(`\n${formatTable(table)}`);
  const files = writeJson(join(root, 'bench', 'results', 'knowledge'), fileStamp, { sizes, chunks, indexSeconds, embedOnlyPerSecond, table, results, documents: ids.length });
  log(`wrote ${files.map((f) => f.slice(root.length + 1)).join(', ')}`);
}

await runBench(main, stops, log);
