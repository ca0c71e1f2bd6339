import { z } from 'zod';
import { CRM_DATA_TYPES } from '../../lib/crm/mappings.ts';
import { runRefSchema } from '../runs/schema.ts';
import { trimmed, uuidParam } from '../validation.ts';

export const integrationParams = z.object({ id: uuidParam });
export const syncParams = z.object({
  id: uuidParam,
  data_type: z.string().max(40).pipe(z.enum(CRM_DATA_TYPES, { error: `must be one of ${CRM_DATA_TYPES.join(', ')}` })),
});

/** Config values are checked per type (lib/crm/integrationTypes.ts); here only their shape. */
const configBody = z.record(z.string().max(64), z.union([z.string().max(4096), z.null()]));
const dataTypes = z.array(z.enum(CRM_DATA_TYPES, { error: `must be one of ${CRM_DATA_TYPES.join(', ')}` })).min(1).max(CRM_DATA_TYPES.length);
const fieldOwners = z.record(z.string().max(64), z.enum(['local', 'remote'], { error: 'must be local or remote' }));
const interval = z.number().int().min(0).max(7 * 24 * 60);

export const integrationBody = z.strictObject({
  type: z.string().min(1).max(40),
  name: trimmed(200).optional(),
  config: configBody,
  data_types: dataTypes.optional(),
  sync_interval_minutes: interval.optional(),
  field_owners: fieldOwners.optional(),
});

export const integrationUpdateBody = z.strictObject({
  name: trimmed(200).optional(),
  config: configBody.optional(),
  data_types: dataTypes.optional(),
  sync_interval_minutes: interval.optional(),
  field_owners: fieldOwners.optional(),
  /** `active` again after a pause; `disabled` pauses its schedules. */
  status: z.enum(['active', 'disabled'], { error: 'must be active or disabled' }).optional(),
});

export const integrationListQuery = z.object({
  /** A provider (salesforce, hubspot) or a category (crm, erp), as seed 001 filters. */
  type: z.string().max(40).optional(),
});

const countsSchema = z.object({
  fetched: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  archived: z.number().int(),
  pushed: z.number().int(),
  conflicts: z.number().int(),
  errors: z.number().int(),
});

export const integrationSchema = z.object({
  id: z.uuid(),
  type: z.string(),
  category: z.string(),
  name: z.string(),
  status: z.enum(['active', 'needs_reauth', 'disabled']),
  /** The config's plain fields; secret ones are never returned, only named in `secrets_set`. */
  config: z.record(z.string(), z.string()),
  secrets_set: z.array(z.string()),
  data_types: z.array(z.string()),
  sync_interval_minutes: z.number().int(),
  field_owners: z.record(z.string(), z.string()),
  last_tested_at: z.string().nullable(),
  last_error: z.string().nullable(),
  quota: z.object({ remaining: z.number().int(), limit: z.number().int().nullable(), seen_at: z.string().nullable() }).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const integrationTypeSchema = z.object({
  type: z.string(),
  category: z.string(),
  name: z.string(),
  available: z.boolean(),
  data_types: z.array(z.string()),
  auth_methods: z.array(z.object({ name: z.string(), fields: z.array(z.string()) })),
  config_fields: z.array(z.object({ name: z.string(), is_secret: z.boolean(), required: z.boolean(), description: z.string() })),
  ownable_fields: z.record(z.string(), z.array(z.string())),
  note: z.string().optional(),
});

export const testResultSchema = z.object({
  success: z.boolean(),
  message: z.string(),
  account: z.string().nullable(),
  error_code: z.string().nullable(),
  status: z.string(),
});

export const syncRunSchema = z.object({
  id: z.uuid(),
  data_type: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'skipped']),
  trigger: z.string(),
  full: z.boolean(),
  counts: countsSchema,
  error: z.string().nullable(),
  workflow_id: z.string(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
});

export const syncStatusSchema = z.object({
  integration_id: z.uuid(),
  data_type: z.string(),
  /** The newest provider change a complete sync has seen (the next one starts a little before it). */
  watermark: z.string().nullable(),
  running: z.boolean(),
  runs: z.array(syncRunSchema),
});

export const syncStartSchema = z.object({ integration_id: z.uuid(), data_type: z.string(), run: runRefSchema });
