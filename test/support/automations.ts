import type { TestStack } from './app.ts';
import { eventually, type TestTenant } from './factories.ts';

const api = '/api/v1';

/** Making, running and reading automations through the API, as `tenant` unless told otherwise. */
export function automationHelpers(stack: () => TestStack, tenant: () => TestTenant) {
  async function anAutomation(body: Record<string, unknown>, as = tenant()): Promise<string> {
    const res = await stack().http.post(`${api}/automations`, { token: as.token, body });
    if (res.status !== 201) throw new Error(`automation not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data.id as string;
  }
  async function execute(id: string, context: Record<string, unknown>, as = tenant()): Promise<string> {
    const res = await stack().http.post(`${api}/automations/${id}/execute`, { token: as.token, body: { context } });
    if (res.status !== 202) throw new Error(`not executed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data.id as string;
  }
  const getRun = async (automationId: string, runId: string, as = tenant()) => (await stack().http.get(`${api}/automations/${automationId}/runs/${runId}`, { token: as.token })).body.data;
  const finished = (automationId: string, runId: string, as = tenant()) =>
    eventually(async () => {
      const run = await getRun(automationId, runId, as);
      return run?.finished_at ? run : undefined;
    }, { what: `run ${runId} to finish`, timeoutMs: 45_000 });
  return { anAutomation, execute, getRun, finished };
}

export const stepsOf = (run: { steps: Array<{ id: string; status: string }> }) => run.steps.map((s) => `${s.id}: ${s.status}`);
