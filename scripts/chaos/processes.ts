// The two production processes, run as children that the chaos run can SIGKILL and restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../lib/temporalCli.ts';

const root = projectRoot();

export interface Proc {
  name: string;
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function start(name: string, script: string, env: Record<string, string>, logFile: string): Proc {
  const child = spawn(process.execPath, [join(root, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** The worker, ready once it logs that it polls. */
export async function startWorker(env: Record<string, string>, logFile: string): Promise<Proc> {
  const proc = start('worker', 'workers/main.ts', { ...env, LOG_LEVEL: 'info' }, logFile);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('worker did not start within 60 s')), 60_000);
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4000);
      if (seen.includes('"msg":"worker started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.child.once('exit', (code) => reject(new Error(`worker exited (${code}) before starting`)));
  });
  return proc;
}

/** The API, ready once its health check answers. */
export async function startApi(env: Record<string, string>, logFile: string, baseUrl: string): Promise<Proc> {
  const proc = start('api', 'api/server.ts', env, logFile);
  for (let waited = 0; waited < 60_000; waited += 250) {
    if (proc.child.exitCode !== null) throw new Error(`API exited (${proc.child.exitCode}) before answering`);
    const ok = await fetch(`${baseUrl}/api/v1/health`).then((r) => r.ok, () => false);
    if (ok) return proc;
    await sleep(250);
  }
  throw new Error('API did not answer within 60 s');
}
