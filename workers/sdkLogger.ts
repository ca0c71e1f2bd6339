import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../lib/logger.ts';

const TO_SDK: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };
const TO_PINO = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The SDK's logs (worker state, workflow and activity log calls with their workflowId,
 * runId and activity attempt) as pino JSON lines, so one log pipeline reads the API and
 * the worker alike.
 */
export function sdkLogger(log: Logger): DefaultLogger {
  return new DefaultLogger(TO_SDK[log.level] ?? 'INFO', (entry) => {
    log[TO_PINO[entry.level]]({ ...entry.meta }, entry.message);
  });
}
