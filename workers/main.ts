/**
 * The worker process (`npm run worker`): polls the task queue, runs workflows and
 * activities. Any number may run against the same Temporal namespace and database.
 */
import { Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../lib/config.ts';
import { createOrm } from '../lib/db.ts';
import { createLogger } from '../lib/logger.ts';
import { createWorker } from './createWorker.ts';
import { sdkLogger } from './sdkLogger.ts';
import { providersFromConfig } from './activities.ts';
import { startOutboxRelay } from './outboxRelay.ts';
import { createTemporalClient } from '../lib/temporal.ts';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker');

Runtime.install({
  logger: sdkLogger(log),
  // The SDK's own metrics (task latencies, slots, sticky cache) in Prometheus format.
  telemetryOptions: config.metrics.enabled
    ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.metrics.workerPort}` } } }
    : {},
});

const providers = providersFromConfig(config);
const orm = createOrm({ url: config.database.url, poolMax: config.database.workerPoolMax, preparedStatements: config.database.preparedStatements });
const { worker, connection } = await createWorker({
  config,
  deps: { orm, ...providers },
  workflowBundle: config.temporal.workflowBundlePath ? { codePath: config.temporal.workflowBundlePath } : undefined,
});

// The outbox relay: fans committed events out to webhook deliveries and starts work whose
// start was missed (workers/outboxRelay.ts). Every worker runs one; rows are claimed, not shared.
// OUTBOX_RELAY=false runs a worker without one (a fleet may keep relays on a few workers).
const relayClient = config.outbox.relay ? await createTemporalClient(config.temporal) : null;
const relay = relayClient && startOutboxRelay({
  databaseUrl: config.database.url,
  client: relayClient,
  taskQueue: config.temporal.taskQueue,
  webhookPlan: config.webhooks.plan,
  pollMs: config.outbox.pollMs,
  startGraceMs: config.outbox.startGraceMs,
  breakerFailures: config.webhooks.breakerFailures,
  automationLimits: config.automations,
  housekeepingMs: config.outbox.housekeepingMs,
  log,
});

log.info(
  { taskQueue: config.temporal.taskQueue, address: config.temporal.address, classifier: providers.classifier.name },
  'worker started',
);
// Runtime handles SIGINT/SIGTERM: polling stops, running activities get the grace time, then run() resolves.
try {
  await worker.run();
} finally {
  await relay?.stop();
  await relayClient?.connection.close();
  await connection.close();
  await orm.close();
  log.info('worker stopped');
}
