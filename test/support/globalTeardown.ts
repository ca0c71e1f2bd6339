import { running } from './globalSetup.ts';

export default async function globalTeardown(): Promise<void> {
  // Last started, first stopped: Temporal, then the test database, then PostgreSQL.
  for (const stop of [...running.stops].reverse()) {
    await stop().catch((err: unknown) => process.stderr.write(`[test teardown] ${String(err)}\n`));
  }
}
