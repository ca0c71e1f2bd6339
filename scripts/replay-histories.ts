/**
 * Replays saved workflow histories against the current workflow code
 * (`npm run replay [dir]`, default test/fixtures/histories). Exits 1 when any replay
 * fails: the change would break runs that are in flight. Prints one JSON line a history.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { workflowsPath } from '../workers/createWorker.ts';

const dir = process.argv[2] ?? join(import.meta.dirname, '..', 'test', 'fixtures', 'histories');
const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const histories = files.map((f) => ({
  workflowId: f.replace(/\.json$/, ''),
  history: historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8'))),
}));

let failed = 0;
const options = bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath };
for await (const result of Worker.runReplayHistories(options, histories)) {
  if (result.error) failed++;
  console.log(JSON.stringify({ history: result.workflowId, ok: !result.error, error: result.error?.message ?? null }));
}
process.exitCode = failed ? 1 : 0;
