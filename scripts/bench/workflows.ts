// The baseline workflow of the throughput benchmark: the same shape as
// triageMessageWorkflow (two activities in sequence, with the same timeout and retry
// presets) and nothing else. Bundled only by the bench's own worker (bareWorker.ts).
import { proxyActivities } from '@temporalio/workflow';
import { presets } from '../../workflows/activityOptions.ts';
import type { BenchActivities, BenchItem } from './activities.ts';

const { benchFirst } = proxyActivities<Pick<BenchActivities, 'benchFirst'>>(presets.llmCall);
const { benchSecond } = proxyActivities<Pick<BenchActivities, 'benchSecond'>>(presets.database);

export async function benchBareWorkflow(item: BenchItem): Promise<BenchItem> {
  const first = await benchFirst(item);
  return benchSecond(first);
}
