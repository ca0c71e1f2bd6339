import { z } from 'zod';
import { AUTOMATION_RUN_STATUSES } from '../../entities/Automation.ts';
import { definitionSchema, TRIGGER_TYPES } from '../../lib/automations/definition.ts';
import { listQuery } from '../pagination.ts';
import { runRefSchema } from '../runs/schema.ts';
import { uuidParam } from '../validation.ts';

export const automationParams = z.object({ id: uuidParam });
export const automationRunParams = z.object({ id: uuidParam, run_id: uuidParam });

/** Seed 002's workflow body; `max_concurrent_runs` (0: no limit) caps this automation's runs at once. */
export const automationBody = definitionSchema;
export const executeBody = z.strictObject({ context: z.record(z.string().max(100), z.unknown()).default({}) }).refine((b) => JSON.stringify(b.context).length <= 64_000, {
  message: 'must be at most 64,000 characters as JSON',
  path: ['context'],
});

export const automationListQuery = listQuery(['created_at', 'updated_at', 'name'] as const, 'created_at').extend({
  trigger_type: z.enum(TRIGGER_TYPES).optional(),
  enabled: z.enum(['true', 'false']).optional(),
});
export const runListQuery = listQuery(['created_at'] as const, 'created_at').extend({ status: z.enum(AUTOMATION_RUN_STATUSES).optional() });

export const automationSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  trigger_type: z.string(),
  trigger_config: z.record(z.string(), z.unknown()),
  conditions: z.unknown().nullable(),
  actions: z.array(z.record(z.string(), z.unknown())),
  enabled: z.boolean(),
  version: z.number().int(),
  max_concurrent_runs: z.number().int(),
  webhook: z.object({ url: z.string(), secret: z.string().optional() }).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

const stepSchema = z.object({
  id: z.string(),
  type: z.string(),
  status: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  error: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string(),
});

export const automationRunSchema = z.object({
  id: z.uuid(),
  automation_id: z.uuid(),
  version: z.number().int(),
  trigger: z.string(),
  trigger_event_id: z.uuid().nullable(),
  depth: z.number().int(),
  status: z.enum(AUTOMATION_RUN_STATUSES),
  context: z.record(z.string(), z.unknown()),
  steps: z.array(stepSchema),
  current_step: z.string().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  run: runRefSchema,
});
