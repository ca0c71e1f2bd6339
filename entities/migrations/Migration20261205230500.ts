import { Migration } from '@mikro-orm/migrations';

/**
 * The automation run that made a reminder or a call, and its depth (entities/Reminder.ts,
 * entities/VoiceCall.ts), carried by the events they report later.
 */
export class Migration20261205230500 extends Migration {

  override name = 'Migration20261205230500';

  override up(): void | Promise<void> {
    this.addSql(`alter table "reminders" add "automation_run_id" uuid null, add "automation_depth" int not null default 0;`);
    this.addSql(`alter table "voice_calls" add "automation_run_id" uuid null, add "automation_depth" int not null default 0;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "reminders" drop column "automation_run_id", drop column "automation_depth";`);
    this.addSql(`alter table "voice_calls" drop column "automation_run_id", drop column "automation_depth";`);
  }

}
