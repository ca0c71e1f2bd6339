import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant, eventually } from '../support/factories.ts';
import { findFreePort } from '../../scripts/lib/proc.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { METRICS_ENABLED: 'true', RATE_LIMIT_AUTH_PER_MINUTE: '1000' } });
});
afterAll(() => stack.close());

describe('GET /metrics', () => {
  it('counts requests by route template and status, in Prometheus format', async () => {
    const t = await aTenant(stack.http);
    await stack.http.get('/api/v1/contacts', { token: t.token });
    await stack.http.get(`/api/v1/contacts/${t.userId}`, { token: t.token });
    const res = await stack.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/contacts",status="200"\} 1/);
    // Ids never become labels: the template is recorded, not the raw path.
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/contacts\/:id",status="404"\} 1/);
    expect(res.text).not.toContain(t.userId);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{le="0.05",method="POST",route="\/api\/v1\/auth\/register",status="201"\}/);
    expect(res.text).toContain('process_resident_memory_bytes');
  });
});

describe('worker metrics', () => {
  it("serves the Temporal SDK's own metrics (slots, task latencies) in Prometheus format", async () => {
    const port = await findFreePort();
    const { startWorkerProcess } = await import('../support/worker.ts');
    const worker = await startWorkerProcess({ ...stack.vars, METRICS_ENABLED: 'true', WORKER_METRICS_PORT: String(port) });
    try {
      // Slot gauges appear once the pollers run, a moment after start, the workflow
      // worker's and the activity worker's each in its own time.
      const activitySlots = /temporal_worker_task_slots_available\{[^}]*worker_type="ActivityWorker"/;
      const text = await eventually(async () => {
        const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return activitySlots.test(body) ? body : undefined;
      }, { what: 'slot metrics', timeoutMs: 20_000 });
      expect(text).toMatch(activitySlots);
      expect(text).toContain(`task_queue="${stack.vars.TEMPORAL_TASK_QUEUE}"`);
    } finally {
      await worker.stop();
    }
  });
});
