/**
 * The API process (`npm run api`): any number of replicas may run behind a load
 * balancer against the same database and Temporal namespace.
 */
import { loadConfigOrExit } from '../lib/config.ts';
import { createOrm } from '../lib/db.ts';
import { createLogger } from '../lib/logger.ts';
import { createTemporalClient } from '../lib/temporal.ts';
import { API_PREFIX, buildApp } from './app.ts';
import { answerClientErrors } from './httpServer.ts';
import { attachVoiceRealtime } from './voice/realtime.ts';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'api');
const orm = createOrm({ url: config.database.url, poolMax: config.database.poolMax, preparedStatements: config.database.preparedStatements });
const temporal = await createTemporalClient(config.temporal);
const app = buildApp({ config, orm, temporal, log });

const server = app.listen(config.http.port, config.http.host, () => {
  const base = `http://localhost:${config.http.port}`;
  log.info({ port: config.http.port }, `API listening on ${base}${API_PREFIX} (docs: ${base}${API_PREFIX}/docs)`);
});

answerClientErrors(server);
const realtime = attachVoiceRealtime(server, app.context.deps);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'API stopping: finishing in-flight requests');
  server.close();
  server.closeIdleConnections();
  realtime.close();
  await new Promise((resolve) => server.once('close', resolve));
  await app.context.deps.startMarks.drain();
  await app.context.deps.limiters.close();
  await temporal.connection.close();
  await orm.close();
  log.info('API stopped');
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
