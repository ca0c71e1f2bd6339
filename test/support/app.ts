import type { Server } from 'node:http';
import { createOrm } from '../../lib/db.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import { createTemporalClient } from '../../lib/temporal.ts';
import { buildApp } from '../../api/app.ts';
import type { RouteDef } from '../../api/routing.ts';
import { answerClientErrors } from '../../api/httpServer.ts';
import { attachVoiceRealtime } from '../../api/voice/realtime.ts';
import { testConfig, testEnvVars } from './config.ts';
import { httpClient, type HttpClient } from './http.ts';
import { startWorkerProcess, type WorkerProcess } from './worker.ts';
import { cloneTestDatabase } from './databases.ts';

export interface TestStack {
  http: HttpClient;
  vars: Record<string, string>;
  config: ReturnType<typeof testConfig>;
  orm: ReturnType<typeof createOrm>;
  temporal: Awaited<ReturnType<typeof createTemporalClient>>;
  worker: WorkerProcess | null;
  /** Starts another worker on the same task queue (after a kill). */
  startWorker(): Promise<WorkerProcess>;
  /** Kills (SIGKILL) every worker this stack started, whichever is the live one now. */
  killWorkers(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The API in this process (on a real port) and, unless `worker: false`, the real worker
 * as a second process on a task queue of this test file's own: the production shape.
 */
export async function startStack(
  opts: { env?: Record<string, string | undefined>; worker?: boolean; log?: Logger; port?: number } = {},
): Promise<TestStack> {
  const db = opts.env?.DATABASE_URL ? null : await cloneTestDatabase();
  const vars = testEnvVars({ ...(db ? { DATABASE_URL: db.url } : {}), ...opts.env });
  const config = testConfig(vars);
  const orm = createOrm({ url: config.database.url, poolMax: config.database.poolMax, preparedStatements: config.database.preparedStatements });
  const temporal = await createTemporalClient(config.temporal);
  const app = buildApp({ config, orm, temporal, log: opts.log ?? createLogger(config.logLevel, 'api-test') });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(opts.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  answerClientErrors(server);
  const realtime = attachVoiceRealtime(server, app.context.deps);
  const workers: WorkerProcess[] = [];
  const startWorker = async () => {
    const w = await startWorkerProcess(vars);
    workers.push(w);
    return w;
  };
  const worker = opts.worker === false ? null : await startWorker();
  return {
    http: httpClient(server),
    vars,
    config,
    orm,
    temporal,
    worker,
    startWorker,
    killWorkers: async () => {
      await Promise.all(workers.map((w) => w.kill()));
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      realtime.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.context.deps.startMarks.drain();
      await app.context.deps.limiters.close();
      await temporal.connection.close();
      await orm.close();
      await db?.drop();
    },
  };
}

/**
 * Another API process's app on the stack's database and Temporal (a second replica, as
 * `docker compose up --scale api=2` would run), serving `defs` when a test brings routes
 * of its own.
 */
export async function anotherApi(stack: TestStack, opts: { defs?: RouteDef[]; log?: Logger } = {}): Promise<{ http: HttpClient; close: () => Promise<void> }> {
  const app = buildApp({ config: stack.config, orm: stack.orm, temporal: stack.temporal, log: opts.log ?? createLogger('silent', 'api-2') }, opts.defs);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    http: httpClient(server),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.context.deps.limiters.close();
    },
  };
}

/** A port free right now, for a stack whose PUBLIC_BASE_URL must be known before it starts. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
