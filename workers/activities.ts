import type { MikroORM } from '@mikro-orm/postgresql';
import { createOnboardingActivities } from '../activities/onboarding.ts';

export interface ActivityDeps {
  orm: MikroORM;
}

/** Every activity group, built from the same dependencies. Tests pass fakes for the providers. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createOnboardingActivities(deps),
  };
}
