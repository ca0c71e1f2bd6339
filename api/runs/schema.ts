import { z } from 'zod';
import { queryInt } from '../validation.ts';
import { runTypes } from '../../workflows/registry.ts';

/** Short names a client may filter by (from the workflow registry), and the workflow types they stand for. */
export const RUN_TYPES = runTypes;

export const RUN_STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  continued_as_new: 'ContinuedAsNew',
  timed_out: 'TimedOut',
} as const;

/** Values that go into a visibility query are restricted to characters that cannot break out of a quoted literal. */
const safeValue = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'may contain only letters, digits and _ . : -');

export const runListQuery = z.object({
  page: queryInt(1, 10_000, 1),
  per_page: queryInt(1, 100, 20),
  type: safeValue.optional(),
  status: z.enum(Object.keys(RUN_STATUSES) as [keyof typeof RUN_STATUSES]).optional(),
  entity_id: safeValue.optional(),
});

/** What a route that starts work says of the run it started (RunRef in lib/workflowClient.ts). */
export const runRefSchema = z.object({ workflow_id: z.string(), run_id: z.string().nullable(), status: z.string() });

export const runParams = z.object({ workflow_id: safeValue });

export const runSchema = z.object({
  workflow_id: z.string(),
  run_id: z.string(),
  type: z.string(),
  status: z.string(),
  task_queue: z.string(),
  started_at: z.string(),
  closed_at: z.string().nullable(),
  history_length: z.number().int(),
  entity: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
  request_id: z.string().nullable(),
});

export const runDetailSchema = runSchema.extend({
  result: z.unknown().nullable(),
  failure: z.object({ message: z.string(), type: z.string().nullable() }).nullable(),
  progress: z.unknown().nullable(),
  pending_activities: z.array(
    z.object({
      activity_type: z.string(),
      state: z.string(),
      attempt: z.number().int(),
      last_failure: z.string().nullable(),
      /** What the activity last reported while working (a sync's pages and counts so far). */
      heartbeat: z.unknown().nullable(),
    }),
  ),
});
