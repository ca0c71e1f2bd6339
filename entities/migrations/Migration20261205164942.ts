import { Migration } from '@mikro-orm/migrations';

/** Contacts show their number's STOP (triggers on contact and sms_opt_outs); contacts holding an opted-out number are marked now. */
export class Migration20261205164942 extends Migration {

  override name = 'Migration20261205164942';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function "sms_opt_outs_sms_opt_outs_mark_contacts_fn"() returns trigger as \$\$ begin update contact set sms_opt_out = true, updated_at = now() where tenant_id = new.tenant_id and phone = new.phone and not sms_opt_out; return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "sms_opt_outs_mark_contacts" AFTER INSERT on "sms_opt_outs" for each ROW execute function "sms_opt_outs_sms_opt_outs_mark_contacts_fn"();`);
    this.addSql(`create or replace function "sms_opt_outs_sms_opt_outs_clear_contacts_fn"() returns trigger as \$\$ begin update contact set sms_opt_out = false, updated_at = now() where tenant_id = old.tenant_id and phone = old.phone and sms_opt_out; return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "sms_opt_outs_clear_contacts" AFTER DELETE on "sms_opt_outs" for each ROW execute function "sms_opt_outs_sms_opt_outs_clear_contacts_fn"();`);

    this.addSql(`create or replace function "contact_contact_number_opt_out_fn"() returns trigger as \$\$ begin if exists (select 1 from sms_opt_outs n where n.tenant_id = new.tenant_id and n.phone = new.phone) then new.sms_opt_out := true; end if; return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "contact_number_opt_out" BEFORE INSERT OR UPDATE on "contact" for each ROW
  when ((new.phone IS NOT NULL AND NOT new.sms_opt_out)) execute function "contact_contact_number_opt_out_fn"();`);

    this.addSql(`update "contact" c set "sms_opt_out" = true, "updated_at" = now()
      where not c."sms_opt_out" and exists (select 1 from "sms_opt_outs" n where n."tenant_id" = c."tenant_id" and n."phone" = c."phone");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "contact_number_opt_out" on "contact";`);
    this.addSql(`drop function if exists "contact_contact_number_opt_out_fn"();`);
    this.addSql(`drop trigger if exists "sms_opt_outs_mark_contacts" on "sms_opt_outs";`);
    this.addSql(`drop function if exists "sms_opt_outs_sms_opt_outs_mark_contacts_fn"();`);
    this.addSql(`drop trigger if exists "sms_opt_outs_clear_contacts" on "sms_opt_outs";`);
    this.addSql(`drop function if exists "sms_opt_outs_sms_opt_outs_clear_contacts_fn"();`);
  }

}
