import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Named timeout/retry presets, so each workflow says what kind of step it runs rather
 * than repeating numbers. Short start-to-close timeouts surface a dead worker quickly;
 * the retry policy then moves the step to a live one.
 */
export const presets = {
  /** A few statements against our own PostgreSQL. */
  database: {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  },
  /**
   * An LLM classification: the call heartbeats, so a dead worker is noticed in 15 s; the
   * activity itself switches to the local classifier after a few failed attempts.
   */
  llmCall: {
    startToCloseTimeout: '90 seconds',
    heartbeatTimeout: '15 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
  },
  /** A request to an outside provider (LLM, SMS, CRM); they are slower and rate limit. */
  providerCall: {
    // In milliseconds: the armed reminder fire step adds its wait to it.
    startToCloseTimeout: 2 * 60_000,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
  },
  /**
   * One webhook POST and its bookkeeping. The HTTP timeout (WEBHOOK_TIMEOUT_MS, 15 s by
   * default) sits inside this; the retry policy covers only our own failures (database,
   * a dead worker): the receiver's failures are retried by the workflow on its schedule.
   */
  webhookAttempt: {
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
  },
} satisfies Record<string, ActivityOptions>;
