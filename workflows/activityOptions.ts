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
  /** A request to an outside provider (LLM, SMS, CRM); they are slower and rate limit. */
  providerCall: {
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
  },
} satisfies Record<string, ActivityOptions>;
