import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../lib/config.ts';
import { temporalConnectionOptions } from '../lib/temporal.ts';
import { createActivities, type ActivityDeps } from './activities.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Production worker settings, shared with the bench's bare baseline so both run alike. */
export const workerTuning = {
  // Activities get this long to finish (they see cancellation) before shutdown completes.
  shutdownGraceTime: '10 seconds',
  maxConcurrentActivityTaskExecutions: 100,
} satisfies Partial<WorkerOptions>;

export interface CreateWorkerOptions {
  config: Config;
  deps: ActivityDeps;
  /** A pre-built workflow bundle (scripts/bundle-workflows.ts); without it the worker bundles at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  overrides?: Partial<WorkerOptions>;
}

export async function createWorker({ config, deps, workflowBundle, overrides }: CreateWorkerOptions) {
  const connection = await NativeConnection.connect(await temporalConnectionOptions(config.temporal));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities(deps),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    ...workerTuning,
    ...overrides,
  });
  return { worker, connection };
}
