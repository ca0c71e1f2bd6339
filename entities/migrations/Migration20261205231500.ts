import { Migration } from '@mikro-orm/migrations';

/** The automation run that made a call, and its depth (entities/VoiceCall.ts), for its events. */
export class Migration20261205231500 extends Migration {

  override name = 'Migration20261205231500';

  override up(): void | Promise<void> {
    this.addSql(`alter table "voice_calls" add "automation_run_id" uuid null, add "automation_depth" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "voice_calls" drop column "automation_run_id", drop column "automation_depth";`);
  }

}
