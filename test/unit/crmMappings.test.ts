import { describe, expect, it } from '@jest/globals';
import { joinName, mappingFor, remoteOwners, remoteValues, splitName } from '../../lib/crm/mappings.ts';
import { INTEGRATION_CATALOGUE, splitConfig, typeInfo } from '../../lib/crm/integrationTypes.ts';
import { changesSoql } from '../../providers/crm/salesforce.ts';

describe('names', () => {
  it('splits the first word off as the given name; one word is the surname', () => {
    expect(splitName('Jane van Dyke')).toEqual({ first: 'Jane', last: 'van Dyke' });
    expect(splitName('Cher')).toEqual({ first: null, last: 'Cher' });
    expect(splitName('  ')).toEqual({ first: null, last: null });
    expect(joinName(' Jane ', null)).toBe('Jane');
    expect(joinName(null, '')).toBeNull();
  });
});

describe('mappings', () => {
  it('maps a Salesforce contact both ways, normalising the email', () => {
    const m = mappingFor('salesforce', 'contacts');
    expect(m.toLocal({ FirstName: 'Jane', LastName: 'Doe', Email: 'JANE@X.COM', Phone: '+1 555', Title: 'CEO' })).toEqual({ name: 'Jane Doe', email: 'jane@x.com', phone: '+1 555', job_title: 'CEO' });
    expect(m.toRemote({ name: 'Jane Doe', email: 'jane@x.com', phone: null, job_title: null, organization: 'Acme' })).toEqual({ FirstName: 'Jane', LastName: 'Doe', Email: 'jane@x.com', Phone: null, Title: null });
  });

  it('compares in the provider terms, so a lossy status mapping reads as no change', () => {
    const m = mappingFor('salesforce', 'leads');
    const sent = m.toRemote({ title: 'Pricing', status: 'qualified', source: 'web', contact_name: 'Jane Doe', contact_email: 'j@x.com', contact_phone: null, contact_organization: 'Acme' });
    expect(sent.Status).toBe('Working - Contacted');
    // The provider hands back what we sent: its values equal what we compare ours as.
    expect(remoteValues(m, { ...sent, Id: '00Q1' })).toEqual(sent);
    expect(m.toLocal({ Status: 'Closed - Converted', LastName: 'Doe' }).status).toBe('won');
    expect(m.toLocal({ Status: 'Closed - Not Converted', LastName: 'Doe' }).status).toBe('lost');
  });

  it('maps HubSpot deals: amounts as money, stages onto our statuses', () => {
    const m = mappingFor('hubspot', 'leads');
    expect(m.toLocal({ dealname: 'Big deal', amount: '1200.50', dealstage: 'contractsent' })).toMatchObject({ title: 'Big deal', value: 1200.5, status: 'negotiation' });
    expect(remoteValues(m, { dealname: 'Big deal', amount: '1200.5', dealstage: 'contractsent' })).toEqual(remoteValues(m, { dealname: 'Big deal', amount: '1200.50', dealstage: 'contractsent' }));
  });

  it('maps a timeline note to a Salesforce Task on its Lead and to a HubSpot note on its deal', () => {
    const note = { description: 'Called about pricing\nThey want 20 seats', note_type: 'call', lead_remote_id: '00Q1' };
    expect(mappingFor('salesforce', 'activities').toRemote(note)).toEqual({ Subject: 'Called about pricing', Description: 'Called about pricing\nThey want 20 seats', TaskSubtype: 'Call', WhoId: '00Q1' });
    expect(mappingFor('hubspot', 'activities').toRemote({ ...note, lead_remote_id: '77' })).toEqual({ hs_note_body: 'Called about pricing\nThey want 20 seats', deal_id: '77' });
    expect(mappingFor('salesforce', 'activities').toLocal({ Subject: 'Email sent', Description: null, TaskSubtype: 'Email', WhoId: '00Q2' })).toEqual({ description: 'Email sent', note_type: 'email', lead_remote_id: '00Q2' });
  });

  it('names owned fields in our terms and applies them to every provider field they feed', () => {
    expect(remoteOwners(mappingFor('hubspot', 'contacts'), { name: 'remote', phone: 'local' })).toEqual({ firstname: 'remote', lastname: 'remote', phone: 'local' });
  });
});

describe('changesSoql', () => {
  it('pages by (SystemModstamp, Id) after the last record, within the window', () => {
    const soql = changesSoql(mappingFor('salesforce', 'contacts'), { since: '2026-12-01T00:00:00.000Z', ts: '2026-12-02T00:00:00.000Z', id: "003'x" });
    expect(soql).toBe(
      "SELECT Id, SystemModstamp, FirstName, LastName, Email, Phone, Title FROM Contact WHERE SystemModstamp >= 2026-12-01T00:00:00.000Z AND (SystemModstamp > 2026-12-02T00:00:00.000Z OR (SystemModstamp = 2026-12-02T00:00:00.000Z AND Id > '003\\'x')) ORDER BY SystemModstamp ASC, Id ASC",
    );
    expect(changesSoql(mappingFor('salesforce', 'leads'), { since: null, ts: null, id: null })).not.toContain('WHERE');
  });
});

describe('splitConfig', () => {
  const salesforce = typeInfo('salesforce');
  if (!salesforce) throw new Error('salesforce missing from the catalogue');

  it('takes seed 001 credentials, sealing the password and token apart from the rest', () => {
    expect(splitConfig(salesforce, { username: 'user@example.com', password: 'pw', security_token: 'tok', domain: 'company.salesforce.com' })).toEqual({
      settings: { username: 'user@example.com', domain: 'company.salesforce.com' },
      secrets: { password: 'pw', security_token: 'tok' },
    });
  });

  it('says which fields are wrong, and what a type needs', () => {
    expect(splitConfig(salesforce, { username: 'u', colour: 'red' })).toEqual({ problems: [{ field: 'config.colour', message: expect.stringContaining('is not a Salesforce setting') }] });
    expect(splitConfig(salesforce, { username: 'u' })).toEqual({ problems: [{ field: 'config', message: 'needs username + password, or instance_url + access_token' }] });
  });

  it('keeps stored fields on an update and removes one given as null', () => {
    const got = splitConfig(salesforce, { password: 'new', security_token: null }, { username: 'u', password: 'old', security_token: 't' });
    expect(got).toEqual({ settings: { username: 'u' }, secrets: { password: 'new' } });
  });

  it('lists SAP, not available', () => {
    expect(INTEGRATION_CATALOGUE.find((t) => t.type === 'sap')).toMatchObject({ available: false, category: 'erp' });
  });
});
