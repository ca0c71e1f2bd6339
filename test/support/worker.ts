import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const workerMain = fileURLToPath(new URL('../../workers/main.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGKILL: the process dies mid-task, as a crashed machine would. */
  kill(): Promise<void>;
  /** SIGTERM: the worker drains and exits. */
  stop(): Promise<void>;
  output(): string;
}

/** Runs the real worker (`workers/main.ts`) as its own process, as production does, and waits until it polls. */
export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [workerMain], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (process.env.TEST_WORKER_OUTPUT) process.stderr.write(chunk);
      if (output.includes('"msg":"worker started"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before starting:\n${output}`));
    });
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { child, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM'), output: () => output };
}
