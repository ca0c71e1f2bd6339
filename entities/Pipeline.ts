import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';

import type { PipelineStage } from '../lib/pipelines.ts';

export type { PipelineStage };
/** A sales pipeline; the onboarding workflow gives each new tenant a default one. */
export const PipelineSchema = defineEntity({
  name: 'Pipeline',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['tenant', 'name'] }],
  properties: {
    name: p.string().length(100),
    isDefault: p.boolean().default(false),
    stages: p.json<PipelineStage[]>(),
  },
});

export type Pipeline = InferEntity<typeof PipelineSchema>;
