import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { historiesDir } from '../support/histories.ts';
import { readTestEnv } from '../support/testEnv.ts';
import { workflowRegistry } from '../../workflows/registry.ts';

const script = fileURLToPath(new URL('../../scripts/replay-histories.ts', import.meta.url));
const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json')).sort();

/**
 * Saved histories of real runs (captured with CAPTURE_HISTORIES=1) replayed against
 * today's workflow code: a change that would break runs already in flight fails here.
 * The replay runs in its own process, as `npm run replay` does (jest's module sandbox
 * duplicates protobufjs, which the history decoder cannot work with).
 */
describe('workflow replay', () => {
  it('has a saved history for every workflow type', () => {
    const types = new Set(
      files.map((f) => JSON.parse(readFileSync(`${historiesDir}${f}`, 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name),
    );
    expect([...types].sort()).toEqual(workflowRegistry.map((w) => w.workflowType).sort());
  });

  it('replays every saved history without nondeterminism', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script, historiesDir], {
      env: { ...process.env, WORKFLOW_BUNDLE_PATH: readTestEnv().workflowBundlePath },
    }).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
    const results = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(results).toEqual(files.map((f) => ({ history: f.replace(/\.json$/, ''), ok: true, error: null })));
  });
});

describe('replay fixtures', () => {
  it('are named by their shape, so a capture of a new workflow version is added beside the old ones', async () => {
    const { historyShape } = await import('../support/histories.ts');
    const event = (eventType: string, activity?: string) => ({ eventType, ...(activity ? { activityTaskScheduledEventAttributes: { activityType: { name: activity } } } : {}) });
    const v1 = { events: [event('WorkflowExecutionStarted'), event('ActivityTaskScheduled', 'classifyMessage')] };
    const v2 = { events: [...v1.events, event('ActivityTaskScheduled', 'applyTriage')] };
    expect(historyShape(v1)).toBe(historyShape(structuredClone(v1)));
    expect(historyShape(v2)).not.toBe(historyShape(v1));
    for (const f of files) {
      const history = JSON.parse(readFileSync(`${historiesDir}${f}`, 'utf8'));
      expect(f).toMatch(new RegExp(`\\.${historyShape(history)}\\.json$`));
    }
  });
});
