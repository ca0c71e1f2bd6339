// Benchmark 2: latency of list endpoints under 50 concurrent clients, against a bare Koa
// handler that sends the very SQL the endpoint sends through a plain pg.Pool. The gap is
// what the API's layers cost (middleware, JWT, validation, ORM hydration, serialisation).
import Koa from 'koa';
import pg from 'pg';
import type { Client } from '@temporalio/client';
import type { Logger, LoggerNamespace } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { buildApp } from '../../api/app.ts';
import type { Config } from '../../lib/config.ts';
import { ormOptions } from '../../lib/db.ts';
import { directSql, type DirectSql } from '../../lib/directSql.ts';
import { createLogger } from '../../lib/logger.ts';
import { cdfPoints, latencyStats, runLoad, type LatencyStats, type LoadResult } from './load.ts';

/** Turns each side takes (benchEndpoint). */
const ROUNDS = 3;
import { closeServer, listen, type Log } from './stack.ts';

/**
 * The statements one request sends, in waves: the statements of a wave were in flight at
 * the same time (findAndCount sends its select and its count in parallel), and a wave
 * starts only when the previous one has finished.
 */
export type SqlWaves = Statement[][];

/** SQL with its values inlined (the ORM's), or text with `$n` values (lib/directSql.ts). */
export type Statement = string | { text: string; values: unknown[] };

export const statementText = (s: Statement) => (typeof s === 'string' ? s : s.text);

/** Transaction control is replayed by nobody: the baseline has no unit of work to wrap. */
const TX_CONTROL = /^\s*(begin|start transaction|commit|rollback|savepoint|release savepoint|set transaction)\b/i;

/**
 * Runs one GET against a second copy of the app whose ORM records what it sends. MikroORM
 * calls `onQuery` as a statement starts and the logger's `logQuery` when it ends, with the
 * SQL it really sent (parameters inlined: MikroORM 7 sends literal SQL, no bind
 * parameters, so replaying that text is what the endpoint does). A statement starting
 * while none is in flight opens a new wave. The first GET warms up and is not recorded.
 */
export async function captureSql(opts: { config: Config; temporal: Client; path: string; token: string }): Promise<SqlWaves> {
  const waves: SqlWaves = [];
  let inFlight = 0;
  let recording = false;
  const recorder: Logger = {
    log() {},
    error() {},
    warn() {},
    setDebugMode() {},
    // 'query-params' makes the connection hand the logger the SQL with its values inlined.
    isEnabled: (namespace: LoggerNamespace) => namespace === 'query' || namespace === 'query-params',
    logQuery(context) {
      if (!recording || !context.query || TX_CONTROL.test(context.query)) return;
      inFlight = Math.max(0, inFlight - 1);
      waves[waves.length - 1]?.push(context.query.trim());
    },
  };
  const orm = new MikroORM({
    ...ormOptions({ url: opts.config.database.url, poolMax: opts.config.database.poolMax }),
    loggerFactory: () => recorder,
    onQuery: (sql: string) => {
      if (recording && !TX_CONTROL.test(sql)) {
        if (inFlight === 0) waves.push([]);
        inFlight++;
      }
      return sql;
    },
  });
  const direct = directSql(orm);
  const sql: DirectSql = async (text, values = []) => {
    if (!recording) return direct(text, values);
    if (inFlight === 0) waves.push([]);
    inFlight++;
    const wave = waves[waves.length - 1];
    try {
      return await direct(text, values);
    } finally {
      inFlight = Math.max(0, inFlight - 1);
      wave.push({ text: text.trim(), values: [...values] });
    }
  };
  const app = buildApp({ config: opts.config, orm, temporal: opts.temporal, log: createLogger('silent', 'api-capture'), sql });
  const server = await listen((port, host, ready) => app.listen(port, host, ready));
  try {
    const { port } = server.address() as { port: number };
    const get = async () => {
      const res = await fetch(`http://127.0.0.1:${port}${opts.path}`, { headers: { authorization: `Bearer ${opts.token}` } });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${opts.path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    };
    await get();
    recording = true;
    await get();
    recording = false;
  } finally {
    await closeServer(server);
    await orm.close();
  }
  if (waves.length === 0) throw new Error(`GET ${opts.path} sent no SQL; nothing to compare it with`);
  return waves;
}

export interface Baseline {
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * The baseline server: `new Koa()`, no middleware, one handler per captured path that
 * sends that path's SQL waves through a pg.Pool the size of the API's pool and answers
 * the rows as JSON (about the size of the real answer). No auth, no validation, no ORM.
 */
export async function startBaseline(databaseUrl: string, poolMax: number, routes: Map<string, SqlWaves>): Promise<Baseline> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax });
  const app = new Koa();
  app.use(async (ctx) => {
    const waves = ctx.method === 'GET' ? routes.get(ctx.url) : undefined;
    if (!waves) {
      ctx.status = 404;
      return;
    }
    const results: unknown[][] = [];
    for (const wave of waves) {
      for (const { rows } of await Promise.all(wave.map((sql) => pool.query(sql)))) results.push(rows);
    }
    ctx.body = { data: results };
  });
  const server = await listen((port, host, ready) => app.listen(port, host, ready));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      await closeServer(server);
      await pool.end();
    },
  };
}

export interface LatencyRun {
  stats: LatencyStats;
  throughput: number;
  errors: number;
  /** Thinned empirical CDF, [ms, fraction], for the plot. */
  cdf: Array<[number, number]>;
}

export interface EndpointResult {
  name: string;
  path: string;
  sql: SqlWaves;
  baseline: LatencyRun;
  api: LatencyRun;
}

export interface EndpointOptions {
  name: string;
  path: string;
  sql: SqlWaves;
  apiBaseUrl: string;
  baselineBaseUrl: string;
  token: string;
  requests: number;
  concurrency: number;
  warmup: number;
  log: Log;
}

async function measure(url: string, opts: EndpointOptions, requests: number, warmup: number): Promise<LoadResult> {
  const result = await runLoad({
    url,
    method: 'GET',
    // The baseline ignores the token; sending it to both keeps the requests the same size.
    headers: { authorization: `Bearer ${opts.token}` },
    requests,
    concurrency: opts.concurrency,
    warmup,
    expectStatus: 200,
  });
  if (result.errors) throw new Error(`GET ${url}: ${result.errors} of ${requests} failed; first: ${result.firstError}`);
  return result;
}

/** The rounds of one side as one run: every latency, and the requests over the time spent measuring. */
function pooled(results: LoadResult[]): LatencyRun {
  const latencies = Float64Array.from(results.flatMap((r) => [...r.latencies]));
  const elapsedMs = results.reduce((sum, r) => sum + r.elapsedMs, 0);
  return { stats: latencyStats(latencies), throughput: (latencies.length * 1000) / elapsedMs, errors: 0, cdf: cdfPoints(latencies) };
}

/**
 * Baseline and API take turns, ROUNDS times each, and each side's figure pools its
 * rounds. Run as one block each, the side measured first met whatever the machine was
 * doing then (a checkpoint, autovacuum after the seeding, a warming JIT) and the other
 * side did not: one such run put the bare handler 12× slower than the API. Alternating
 * spreads that over both, and each side warms up before each of its rounds.
 */
export async function benchEndpoint(opts: EndpointOptions, rounds = ROUNDS): Promise<EndpointResult> {
  const base: LoadResult[] = [];
  const api: LoadResult[] = [];
  const perRound = Math.ceil(opts.requests / rounds);
  const warmup = Math.ceil(opts.warmup / rounds);
  for (let round = 1; round <= rounds; round++) {
    opts.log(`  ${opts.name}: round ${round}/${rounds}: baseline (bare Koa + pg.Pool, same SQL), then the API`);
    base.push(await measure(`${opts.baselineBaseUrl}${opts.path}`, opts, perRound, warmup));
    api.push(await measure(`${opts.apiBaseUrl}${opts.path}`, opts, perRound, warmup));
  }
  return { name: opts.name, path: opts.path, sql: opts.sql, baseline: pooled(base), api: pooled(api) };
}
