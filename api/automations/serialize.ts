import type { Automation, AutomationRun } from '../../entities/Automation.ts';
import type { RunRef } from '../../lib/workflowClient.ts';
import { runWorkflowId } from '../../workflows/runAutomation.client.ts';

export const automationDto = (a: Automation, secret?: string) => ({
  id: a.id,
  name: a.name,
  description: a.description ?? null,
  trigger_type: a.triggerType,
  trigger_config: a.triggerConfig,
  conditions: a.conditions ?? null,
  actions: a.actions,
  enabled: a.enabled,
  version: a.version,
  max_concurrent_runs: a.maxConcurrentRuns,
  // Where a webhook trigger is called; its secret only in the answer that made it.
  webhook: a.triggerType === 'webhook' ? { url: `/api/v1/automations/${a.id}/webhook`, ...(secret ? { secret } : {}) } : null,
  created_at: a.createdAt.toISOString(),
  updated_at: a.updatedAt.toISOString(),
});

export const automationRunDto = (r: AutomationRun, run?: RunRef) => ({
  id: r.id,
  automation_id: r.automation.id,
  version: r.version,
  trigger: r.trigger,
  trigger_event_id: r.triggerEventId ?? null,
  depth: r.depth,
  status: r.status,
  context: r.context,
  steps: r.steps,
  current_step: r.currentStep ?? null,
  error: r.error ?? null,
  created_at: r.createdAt.toISOString(),
  finished_at: r.finishedAt?.toISOString() ?? null,
  // The run's own state is at GET /runs/{workflow_id}; here, what the run row says of it.
  run: run ?? { workflow_id: runWorkflowId(r), run_id: null, status: r.status === 'running' ? 'running' : r.status === 'failed' ? 'failed' : r.status === 'cancelled' ? 'cancelled' : 'completed' },
});
