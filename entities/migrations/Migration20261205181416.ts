import { Migration } from '@mikro-orm/migrations';

/** The occurrence quiet hours hold, kept due (entities/Reminder.ts heldOccurrenceAt). */
export class Migration20261205181416 extends Migration {

  override name = 'Migration20261205181416';

  override up(): void | Promise<void> {
    this.addSql(`alter table "reminders" add "held_occurrence_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "reminders" drop column "held_occurrence_at";`);
  }

}
