/**
 * The baseline's worker process: the bench-only workflow and its no-op activities on a
 * task queue of their own. It runs as a process of its own, like `node workers/main.ts`
 * does for triage, so both sides of the ratio pay the same IPC and share the CPU alike.
 *
 * The worker settings mirror workers/createWorker.ts (the only ones set there are the
 * shutdown grace time and 100 activity slots; everything else is the SDK default).
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { workerTuning } from '../../workers/createWorker.ts';
import { createBenchActivities } from './activities.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const address = required('TEMPORAL_ADDRESS');
const taskQueue = required('TEMPORAL_TASK_QUEUE');
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue,
  activities: createBenchActivities(),
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  ...workerTuning,
});
// The same ready line as workers/main.ts, so one launcher waits for both.
console.log(JSON.stringify({ level: 30, name: 'bench-worker', msg: 'worker started', taskQueue }));
try {
  await worker.run();
} finally {
  await connection.close();
}
