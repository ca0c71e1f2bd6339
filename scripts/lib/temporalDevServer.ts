// Runs `temporal server start-dev` as a child process and waits until it can
// really serve: frontend answering and custom search attributes registered.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { procCmdline, procParent, findFreePort } from './proc.ts';

export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

export interface TemporalDevServerOptions {
  /** Path of the `temporal` CLI binary (see ensureTemporalCli). */
  cliPath: string;
  /** Frontend gRPC port; 0 picks a free one. Default 7233. */
  port?: number;
  /** Web UI port; 0 picks a free one. Default `port + 1000` (8233), or a free port when `port` is 0. */
  uiPort?: number;
  /** SQLite file for durable state; omit for an in-memory server. Its folder is created if missing. */
  dbFile?: string;
  /** Namespace to wait for (created at launch if not "default"). Default "default". */
  namespace?: string;
  /** Custom search attributes to register; start resolves only once all are visible. */
  searchAttributes: Array<{ name: string; type: SearchAttributeType }>;
  /** Receives the server's own output lines and start-up progress. */
  log: (line: string) => void;
  /** Disable the Web UI. */
  headless?: boolean;
  /** Appended to the `start-dev` arguments as given. */
  extraArgs?: string[];
}

export interface TemporalDevServer {
  /** `127.0.0.1:<port>`, for `Connection.connect({ address })`. */
  address: string;
  /** Web UI URL, undefined when headless. */
  uiUrl: string | undefined;
  pid: number;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Starts a Temporal CLI dev server bound to 127.0.0.1 and resolves once its
 * frontend answers `GetSystemInfo` and every requested search attribute is
 * listed for the namespace (the CLI registers them asynchronously after the
 * port opens). With a `dbFile`, the WAL/synchronous=normal SQLite pragmas are
 * applied (about 2x the throughput of the defaults, still durable).
 *
 * The child is killed when this process exits; a server left behind by a
 * previous run that was killed outright is stopped first (Linux, with dbFile).
 *
 * @throws if the server exits or is not ready within 60 s; the message carries
 *   the server's last output lines.
 */
export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const namespace = opts.namespace ?? 'default';
  const port = opts.port === 0 ? await findFreePort() : (opts.port ?? 7233);
  const uiPort = opts.headless
    ? undefined
    : opts.uiPort === 0 || (opts.uiPort === undefined && (opts.port === 0 || port + 1000 > 65535))
      ? await findFreePort()
      : (opts.uiPort ?? port + 1000);

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port)];
  if (uiPort !== undefined) args.push('--ui-port', String(uiPort));
  if (opts.headless) args.push('--headless');
  const dbFile = opts.dbFile ? path.resolve(opts.dbFile) : undefined;
  const pidFile = dbFile ? `${dbFile}.pid` : undefined;
  if (dbFile && pidFile) {
    await mkdir(path.dirname(dbFile), { recursive: true });
    await stopLeftoverServer(pidFile, opts.log);
    args.push(
      '--db-filename',
      dbFile,
      // Measured on 2 cores: 16.6 -> 35.8 workflows/s; WAL stays crash-safe.
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
    );
  }
  // "default" always exists; naming it again is redundant.
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const { name, type } of opts.searchAttributes) args.push('--search-attribute', `${name}=${type}`);
  args.push(
    // Update-with-Start needs it.
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    // One partition per task queue: partitions spread a queue over matching hosts, and this
    // server is one process. With the default four, a burst of tasks that few pollers wait
    // for is forwarded between partitions at 10/s or left in the backlog (bench:reminders).
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
    '--log-level',
    'warn',
    ...(opts.extraArgs ?? []),
  );

  const address = `127.0.0.1:${port}`;
  const started = Date.now();
  opts.log(`Starting Temporal dev server on ${address}${opts.dbFile ? ` (${opts.dbFile})` : ' (in memory)'}`);
  // Not detached: a Ctrl+C in a terminal reaches the server too (same process
  // group), so an interrupted test run cannot leave an in-memory server behind.
  // The price: on Ctrl+C it stops alongside the caller, not after it.
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stopping: Promise<void> | undefined;
  // The first lines hold the reason for an early exit (cobra prints usage after it), the last ones the rest.
  const head: string[] = [];
  const tail: string[] = [];
  const onLine = (line: string): void => {
    if (head.length < 5) head.push(line);
    else tail.push(line);
    if (tail.length > 30) tail.shift();
    // Shutdown produces a burst of harmless dial/poll warnings; keep them out of the log.
    if (line.trim() && !stopping) opts.log(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);

  const exited = new Promise<string>((resolve) => {
    child.on('error', (err) => resolve(`could not be spawned: ${err.message}`));
    child.on('exit', (code, signal) => resolve(`exited (code ${code}, signal ${signal})`));
  });
  // Synchronous on purpose: 'exit' handlers cannot await.
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.on('exit', killOnExit);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        // Unref'd so a quick exit does not leave this process waiting out the timer.
        const done = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS, false, { ref: false })]);
        if (!done) {
          opts.log(`Temporal dev server did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it`);
          child.kill('SIGKILL');
          await exited;
        }
      }
      if (pidFile) rmSync(pidFile, { force: true });
    })();
    return stopping;
  };

  try {
    if (child.pid === undefined) throw new Error(`Temporal dev server ${await exited}`);
    if (pidFile) writeFileSync(pidFile, `${child.pid}\n`);
    await waitUntilReady(address, namespace, opts.searchAttributes, exited, started);
  } catch (err) {
    await stop();
    const lines = [...head, ...(tail.length === 30 ? ['...'] : []), ...tail];
    const output = lines.length ? `\nServer output:\n${lines.join('\n')}` : '';
    throw new Error(`${(err as Error).message} (${opts.cliPath} ${args.join(' ')})${output}`, { cause: err });
  }
  const uiUrl = uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`;
  opts.log(`Temporal dev server ready in ${Date.now() - started} ms: ${address}${uiUrl ? `, Web UI ${uiUrl}` : ''}`);
  return { address, uiUrl, pid: child.pid, stop };
}

async function waitUntilReady(
  address: string,
  namespace: string,
  searchAttributes: TemporalDevServerOptions['searchAttributes'],
  exited: Promise<string>,
  started: number,
): Promise<void> {
  const died = exited.then((why) => {
    throw new Error(`Temporal dev server ${why} before it was ready`);
  });
  died.catch(() => undefined); // observed by the race below; avoid an unhandled rejection once ready
  let lastProblem = 'no answer yet';
  while (Date.now() - started < READY_TIMEOUT_MS) {
    const problem = await Promise.race([probe(address, namespace, searchAttributes), died]);
    if (problem === undefined) return;
    lastProblem = problem;
    await Promise.race([sleep(200), died]);
  }
  throw new Error(`Temporal dev server at ${address} not ready after ${READY_TIMEOUT_MS / 1000} s (${lastProblem})`);
}

/** One readiness check; returns what is still missing, or undefined when ready. */
async function probe(
  address: string,
  namespace: string,
  searchAttributes: TemporalDevServerOptions['searchAttributes'],
): Promise<string | undefined> {
  // A fresh lazy connection per attempt, always closed: a failed
  // Connection.connect cannot be closed and its channel can keep this process
  // alive (seen when something else already holds the port).
  const connection = Connection.lazy({ address });
  try {
    return await connection.withDeadline(Date.now() + 2_000, async () => {
      await connection.workflowService.getSystemInfo({});
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = searchAttributes.filter(({ name }) => !customAttributes?.[name]).map(({ name }) => name);
      return missing.length ? `search attributes not registered yet: ${missing.join(', ')}` : undefined;
    });
  } catch (err) {
    return (err as Error).message;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * A previous launcher killed with SIGKILL leaves its server running, holding
 * the port and the SQLite file. The pid file says which process that was;
 * /proc confirms it is still that dev server and that no live node process
 * (another launcher using the same file) owns it before we stop it.
 */
async function stopLeftoverServer(pidFile: string, log: (line: string) => void): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const dbFile = pidFile.slice(0, -'.pid'.length);
  const cmdline = Number.isInteger(pid) && pid > 0 ? procCmdline(pid) : undefined;
  if (cmdline?.includes('start-dev') && cmdline.includes(dbFile)) {
    const parentPid = procParent(pid);
    const parent = parentPid ? procCmdline(parentPid) : undefined;
    if (parentPid !== 1 && parent?.includes('node')) {
      throw new Error(`A Temporal dev server (pid ${pid}) already uses ${dbFile}, started by: ${parent.slice(0, 200)}`);
    }
    log(`Stopping a Temporal dev server left over from a previous run (pid ${pid})`);
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; waited < STOP_TIMEOUT_MS && procCmdline(pid) !== undefined; waited += 100) await sleep(100);
    if (procCmdline(pid) !== undefined) process.kill(pid, 'SIGKILL');
    for (let waited = 0; waited < 2_000 && procCmdline(pid) !== undefined; waited += 100) await sleep(100);
  }
  rmSync(pidFile, { force: true });
}



