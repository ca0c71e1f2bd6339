import { describe, expect, it } from '@jest/globals';
import * as bundleEntry from '../../workflows/index.ts';
import { firstTaskDelayMs, workflowRegistry, runTypes } from '../../workflows/registry.ts';
import { reminderKind, WARM_BEFORE_MS } from '../../workflows/sendReminder.client.ts';
import { triageKind } from '../../workflows/triageMessage.client.ts';
import { createActivities } from '../../workers/activities.ts';
import type { ActivityDeps } from '../../activities/deps.ts';

describe('workflow registry', () => {
  it('lists exactly the workflows the worker bundle exports', () => {
    const exported = Object.entries(bundleEntry)
      .filter(([, v]) => typeof v === 'function')
      .map(([name]) => name)
      .sort();
    expect(workflowRegistry.map((w) => w.workflowType).sort()).toEqual(exported);
  });

  it('gives every workflow a distinct run type and ID entity', () => {
    expect(new Set(Object.keys(runTypes)).size).toBe(workflowRegistry.length);
    for (const w of workflowRegistry) expect(w.entityType).toMatch(/^[a-z_]+$/);
  });

  it('refuses two workflows defining the same activity name instead of letting one shadow the other', async () => {
    const deps = {} as ActivityDeps;
    const registry = [
      { runType: 'a', workflowType: 'aWorkflow', entityType: 'x', activities: async () => ({ doIt: async () => 1 }) },
      { runType: 'b', workflowType: 'bWorkflow', entityType: 'x', activities: async () => ({ doIt: async () => 2 }) },
    ];
    await expect(createActivities(deps, registry)).rejects.toThrow('activity "doIt" is defined by both aWorkflow and bWorkflow');
    const ok = await createActivities(deps, registry.slice(0, 1));
    expect(Object.keys(ok)).toEqual(['doIt']);
  });

  it("delays a new reminder's first task until shortly before it is due, and nothing else", () => {
    const now = Date.parse('2026-12-05T10:00:00Z');
    const input = (dueAt: string) => [{ tenantId: 't', reminderId: 'r', plan: { dueAt, version: 1 } }];
    expect(firstTaskDelayMs(reminderKind.workflowType, input('2026-12-06T10:00:00Z'), now)).toBe(86_400_000 - WARM_BEFORE_MS);
    // Due sooner than the warm-up: its first task runs now (it sleeps in the worker).
    expect(firstTaskDelayMs(reminderKind.workflowType, input('2026-12-05T10:00:03Z'), now)).toBeUndefined();
    // Started without a plan (it reads its row first), or another kind of run.
    expect(firstTaskDelayMs(reminderKind.workflowType, [{ tenantId: 't', reminderId: 'r' }], now)).toBeUndefined();
    expect(firstTaskDelayMs(triageKind.workflowType, [{ tenantId: 't', messageId: 'm' }], now)).toBeUndefined();
  });
});
