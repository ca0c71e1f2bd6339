import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { ActivityGroup } from '../../activities/deps.ts';
import { readTestEnv } from './testEnv.ts';

/**
 * Workflow logic with mocked activities (the samples-typescript way): a worker inside the
 * test process on a task queue of its own, against the test run's dev server. The
 * time-skipping test server is a download this machine cannot make, so waits in these
 * tests are kept to milliseconds or a second.
 */
export async function workflowTestEnv() {
  const env = readTestEnv();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const native = await NativeConnection.connect({ address: env.temporalAddress });
  const client = new Client({ connection: await Connection.connect({ address: env.temporalAddress }) });
  return {
    client,
    /** Runs `fn` while a worker with these activities polls a fresh task queue. */
    async withWorker<T>(activities: ActivityGroup, fn: (taskQueue: string) => Promise<T>): Promise<T> {
      const taskQueue = `wf-unit-${randomUUID()}`;
      const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: { codePath: env.workflowBundlePath }, activities });
      return worker.runUntil(fn(taskQueue));
    },
    async close() {
      await client.connection.close();
      await native.close();
    },
  };
}
