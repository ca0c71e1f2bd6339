import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ActivityGroup } from '../../activities/deps.ts';
import { readTestEnv } from './testEnv.ts';

/**
 * Workflow logic with mocked activities (the samples-typescript way): a
 * TestWorkflowEnvironment on the test run's dev server and a worker inside the test
 * process on a task queue of its own. The time-skipping test server is a download this
 * machine cannot make, so waits in these tests are kept to milliseconds or a second.
 */
export async function workflowTestEnv() {
  const env = readTestEnv();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const testEnv = await TestWorkflowEnvironment.createFromExistingServer({ address: env.temporalAddress });
  return {
    client: testEnv.client,
    /** Runs `fn` while a worker with these activities (and activity interceptors) polls a fresh task queue. */
    async withWorker<T>(activities: ActivityGroup, fn: (taskQueue: string) => Promise<T>, activityInterceptors: ActivityInterceptorsFactory[] = []): Promise<T> {
      const taskQueue = `wf-unit-${randomUUID()}`;
      const worker = await Worker.create({ connection: testEnv.nativeConnection, taskQueue, workflowBundle: { codePath: env.workflowBundlePath }, activities, interceptors: { activity: activityInterceptors } });
      return worker.runUntil(fn(taskQueue));
    },
    close: () => testEnv.teardown(),
  };
}
