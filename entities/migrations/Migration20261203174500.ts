import { Migration } from '@mikro-orm/migrations';

/**
 * Rate-limit counters skip the write-ahead log: every signed-in request bumps one, and
 * a counter is worth no fsync. After a crash PostgreSQL empties an unlogged table, which
 * for a one-minute window costs at most one minute of allowance.
 */
export class Migration20261203174500 extends Migration {

  override name = 'Migration20261203174500';

  override up(): void | Promise<void> {
    this.addSql(`alter table "rate_limits" set unlogged;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "rate_limits" set logged;`);
  }
}
