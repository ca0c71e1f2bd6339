import { Migration } from '@mikro-orm/migrations';

export class Migration20261203092450 extends Migration {

  override name = 'Migration20261203092450';

  override up(): void | Promise<void> {
    // Existing tenants get the default new ones get (lib/availability.ts): Monday to Friday, 09:00–17:00.
    this.addSql(`alter table "tenant" add "working_hours" jsonb not null default '{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}],"wednesday":[{"start":"09:00","end":"17:00"}],"thursday":[{"start":"09:00","end":"17:00"}],"friday":[{"start":"09:00","end":"17:00"}],"saturday":[],"sunday":[]}';`);
    this.addSql(`alter table "tenant" alter column "working_hours" drop default;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "tenant" drop column "working_hours";`);
  }

}
