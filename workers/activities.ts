import { createCallAgent } from '../providers/llm/callAgent.ts';
import type { Config } from '../lib/config.ts';
import type { ActivityDeps, ActivityGroup } from '../activities/deps.ts';
import { createTriageClassifier } from '../providers/llm/index.ts';
import { createLocalClassifier } from '../providers/llm/localClassifier.ts';
import { workflowRegistry } from '../workflows/registry.ts';
import { createSecretBox } from '../lib/crypto.ts';
import { guardedPost } from '../lib/outbound.ts';
import { createMessagingProviders } from '../providers/messaging/index.ts';
import { createEmbeddingProvider } from '../providers/embeddings/index.ts';
import { createReplyDrafter } from '../providers/llm/replyDrafter.ts';

export type { ActivityDeps };

/** The real providers for a worker process, chosen from config (local ones when no credentials are set). */
export function providersFromConfig(config: Config): Omit<ActivityDeps, 'orm'> {
  const secrets = createSecretBox(config.encryption);
  return {
    config,
    classifier: createTriageClassifier(config.llm),
    fallbackClassifier: createLocalClassifier(),
    secrets,
    webhookPost: guardedPost,
    messaging: createMessagingProviders(config, secrets),
    embeddings: createEmbeddingProvider(config.embeddings),
    drafter: createReplyDrafter(config.llm),
    callAgent: createCallAgent(config.llm),
  };
}

/**
 * Every registered workflow's activities, built from the same dependencies. Two groups
 * defining the same activity name would silently shadow each other in a flat spread,
 * so that is an error at worker start.
 */
export async function createActivities(deps: ActivityDeps, registry = workflowRegistry): Promise<ActivityGroup> {
  const all: ActivityGroup = {};
  const owner = new Map<string, string>();
  for (const workflow of registry) {
    if (!workflow.activities) continue;
    for (const [name, fn] of Object.entries(await workflow.activities(deps))) {
      const previous = owner.get(name);
      if (previous) throw new Error(`activity "${name}" is defined by both ${previous} and ${workflow.workflowType}`);
      owner.set(name, workflow.workflowType);
      all[name] = fn;
    }
  }
  return all;
}
