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
import { createLogger } from '../../lib/logger.ts';
import { cdfPoints, runLoad, type LatencyStats } from './load.ts';
import { closeServer, listen, type Log } from './stack.ts';

/**
 * The statements one request sends, in waves: the statements of a wave were in flight at
 * the same time (findAndCount sends its select and its count in parallel), and a wave
 * starts only when the previous one has finished.
 */
export type SqlWaves = string[][];

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
  const app = buildApp({ config: opts.config, orm, temporal: opts.temporal, log: createLogger('silent', 'api-capture') });
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

async function measure(url: string, opts: EndpointOptions): Promise<LatencyRun> {
  const result = await runLoad({
    url,
    method: 'GET',
    // The baseline ignores the token; sending it to both keeps the requests the same size.
    headers: { authorization: `Bearer ${opts.token}` },
    requests: opts.requests,
    concurrency: opts.concurrency,
    warmup: opts.warmup,
    expectStatus: 200,
  });
  if (result.errors) throw new Error(`GET ${url}: ${result.errors} of ${opts.requests} failed; first: ${result.firstError}`);
  return { stats: result.stats, throughput: result.throughput, errors: result.errors, cdf: cdfPoints(result.latencies) };
}

/** Baseline first, then the API, each after its own warm-up, one at a time so they never share the CPU. */
export async function benchEndpoint(opts: EndpointOptions): Promise<EndpointResult> {
  opts.log(`  ${opts.name}: baseline (bare Koa + pg.Pool, same SQL)`);
  const baseline = await measure(`${opts.baselineBaseUrl}${opts.path}`, opts);
  opts.log(`  ${opts.name}: API`);
  const api = await measure(`${opts.apiBaseUrl}${opts.path}`, opts);
  return { name: opts.name, path: opts.path, sql: opts.sql, baseline, api };
}
