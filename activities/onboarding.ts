import type { MikroORM } from '@mikro-orm/postgresql';
import { tenantEm } from '../lib/db.ts';
import { recordEvent } from '../entities/Event.ts';
import { PipelineSchema, type PipelineStage } from '../entities/Pipeline.ts';
import { TenantSchema } from '../entities/Tenant.ts';
import { defaultPipelineStages } from '../lib/pipelines.ts';

export interface OnboardingDeps {
  orm: MikroORM;
}

export function createOnboardingActivities({ orm }: OnboardingDeps) {
  return {
    /** Idempotent: keyed by (tenant, name), a retry finds the pipeline it made before. */
    async createDefaultPipeline(tenantId: string): Promise<{ pipelineId: string; stages: number }> {
      const em = tenantEm(orm, tenantId);
      const existing = await em.findOne(PipelineSchema, { name: 'Sales' });
      if (existing) return { pipelineId: existing.id, stages: existing.stages.length };
      const stages: PipelineStage[] = defaultPipelineStages();
      const pipeline = em.create(PipelineSchema, { tenant: tenantId, name: 'Sales', isDefault: true, stages });
      await em.flush();
      return { pipelineId: pipeline.id, stages: stages.length };
    },

    /** Idempotent: a tenant already marked keeps its first timestamp and emits no second event. */
    async markTenantOnboarded(tenantId: string): Promise<{ onboardedAt: string }> {
      const em = tenantEm(orm, tenantId);
      return em.transactional(async (tx) => {
        const tenant = await tx.findOneOrFail(TenantSchema, tenantId);
        if (!tenant.onboardedAt) {
          tenant.onboardedAt = new Date();
          recordEvent(tx, {
            tenantId,
            type: 'tenant.onboarded',
            entityType: 'tenant',
            entityId: tenantId,
            payload: { tenant_id: tenantId, name: tenant.name },
          });
        }
        return { onboardedAt: tenant.onboardedAt.toISOString() };
      });
    },
  };
}

export type OnboardingActivities = ReturnType<typeof createOnboardingActivities>;
