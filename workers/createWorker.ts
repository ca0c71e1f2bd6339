import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../lib/config.ts';
import { temporalConnectionOptions } from '../lib/temporal.ts';
import { createActivities, type ActivityDeps } from './activities.ts';
import { requestIdActivityInterceptor } from './requestIdInterceptor.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Workflow interceptors; a pre-built bundle must be made with the same list (bundleWorkflowCode). */
export const workflowInterceptorModules = [fileURLToPath(new URL('../workflows/interceptors.ts', import.meta.url))];

/** Production worker settings, shared with the bench's bare baseline so both run alike. */
export const workerTuning = {
  // Activities get this long to finish (they see cancellation) before shutdown completes.
  shutdownGraceTime: '10 seconds',
  // An armed reminder fire step holds a slot while it waits out its last seconds (at most
  // ARM_BEFORE_MS): room for a burst of reminders due together beside the other work. The
  // worker's database pool, not this, bounds how many touch PostgreSQL at once.
  maxConcurrentActivityTaskExecutions: 500,
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
    activities: await createActivities(deps),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    interceptors: {
      // Bundled workflows already contain their interceptors; listing them again would be ignored.
      ...(workflowBundle ? {} : { workflowModules: workflowInterceptorModules }),
      activity: [requestIdActivityInterceptor],
    },
    ...workerTuning,
    ...overrides,
  });
  return { worker, connection };
}
