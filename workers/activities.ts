import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../lib/config.ts';
import { createOnboardingActivities } from '../activities/onboarding.ts';
import { createTriageActivities } from '../activities/triage.ts';
import { createTriageClassifier } from '../providers/llm/index.ts';
import { createLocalClassifier } from '../providers/llm/localClassifier.ts';
import type { TriageClassifier } from '../providers/llm/types.ts';

export interface ActivityDeps {
  orm: MikroORM;
  classifier: TriageClassifier;
  fallbackClassifier: TriageClassifier;
  triage: Config['triage'];
}

/** The real providers for a worker process, chosen from config (local ones when no credentials are set). */
export function providersFromConfig(config: Config): Omit<ActivityDeps, 'orm'> {
  return {
    classifier: createTriageClassifier(config.llm),
    fallbackClassifier: createLocalClassifier(),
    triage: config.triage,
  };
}

/** Every activity group, built from the same dependencies. Tests pass fakes for the providers. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createOnboardingActivities(deps),
    ...createTriageActivities({
      orm: deps.orm,
      classifier: deps.classifier,
      fallback: deps.fallbackClassifier,
      confidenceThreshold: deps.triage.confidenceThreshold,
    }),
  };
}
