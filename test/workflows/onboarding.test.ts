import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually } from '../support/factories.ts';
import { tenantEm } from '../../lib/db.ts';
import { PipelineSchema } from '../../entities/Pipeline.ts';
import { EventSchema } from '../../entities/Event.ts';
import { TenantIdKey } from '../../lib/searchAttributes.ts';
import { captureHistory } from '../support/histories.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_AUTH_PER_MINUTE: '1000' } });
});
afterAll(() => stack.close());

describe('API → Temporal → worker process → PostgreSQL', () => {
  it('onboards a new tenant through a workflow the API started and the runs API reports', async () => {
    const t = await aTenant(stack.http);
    expect(t.onboardingWorkflowId).toBe(`onboard-${t.tenantId}`);

    const run = await eventually(
      async () => {
        const res = await stack.http.get(`/api/v1/runs/${t.onboardingWorkflowId}`, { token: t.token });
        return res.body.data?.status === 'completed' ? res.body.data : undefined;
      },
      { what: 'onboarding run to complete' },
    );
    expect(run).toMatchObject({ type: 'onboardTenantWorkflow', entity: { type: 'tenant', id: t.tenantId }, failure: null });
    expect(run.request_id).toMatch(/^[0-9a-f-]{36}$/);

    captureHistory(t.onboardingWorkflowId!, 'onboarding');
    const em = tenantEm(stack.orm, t.tenantId);
    const pipelines = await em.find(PipelineSchema, {});
    expect(pipelines).toHaveLength(1);
    expect(run.result.pipelineId).toBe(pipelines[0].id);
    expect(pipelines[0].stages.map((s) => s.id)).toEqual(['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost']);
    expect(await em.count(EventSchema, { type: 'tenant.onboarded' })).toBe(1);

    // Operators find it in Temporal by tenant, as the UI's filter does.
    const description = await stack.temporal.workflow.getHandle(t.onboardingWorkflowId!).describe();
    expect(description.typedSearchAttributes.get(TenantIdKey)).toBe(t.tenantId);
    expect(description.memo).toMatchObject({ tenantId: t.tenantId, entityType: 'tenant' });

    const list = await eventually(async () => {
      const res = await stack.http.get('/api/v1/runs?type=onboarding&status=completed', { token: t.token });
      return res.body.data?.length ? res.body : undefined;
    }, { what: 'visibility to list the run' });
    expect(list.data.map((r: { workflow_id: string }) => r.workflow_id)).toEqual([t.onboardingWorkflowId]);
    expect(list.pagination.total).toBe(1);
  });

  it('starting the same onboarding again is a no-op, not a second run', async () => {
    const t = await aTenant(stack.http);
    const { startOnboardTenant } = await import('../../workflows/onboardTenant.client.ts');
    const ctx = { client: stack.temporal, taskQueue: stack.config.temporal.taskQueue, tenantId: t.tenantId };
    const first = await stack.temporal.workflow.getHandle(t.onboardingWorkflowId!).describe();
    const again = await startOnboardTenant(ctx, t.tenantId);
    // The same run, not merely the same (deterministic) workflow id.
    expect(again.run_id).toBe(first.runId);
    await eventually(async () => ((await stack.http.get(`/api/v1/runs/${t.onboardingWorkflowId}`, { token: t.token })).body.data?.status === 'completed' ? true : undefined));
    const third = await startOnboardTenant(ctx, t.tenantId);
    expect(third.status).toBe('completed');
    expect(third.run_id).toBe(first.runId);
    const { count } = await stack.temporal.workflow.count(`WorkflowId = '${t.onboardingWorkflowId}'`);
    expect(count).toBe(1);
    expect(await tenantEm(stack.orm, t.tenantId).count(PipelineSchema, {})).toBe(1);
  });
});
