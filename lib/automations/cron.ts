import { CronExpressionParser } from 'cron-parser';

/**
 * A cron trigger's expression (pure): five fields (minute hour day-of-month month
 * day-of-week), checked by the `cron-parser` library, as Temporal's Schedules read them.
 */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return 'must have five fields: minute hour day-of-month month day-of-week (such as 0 9 * * 1-5)';
  try {
    CronExpressionParser.parse(expression);
    return null;
  } catch (err) {
    return `is not a cron expression (${err instanceof Error ? err.message : String(err)})`;
  }
}
