import { describe, expect, it } from '@jest/globals';
import { fieldFor, guardCell, parseImportRow } from '../../lib/leadCsv.ts';

describe('lead CSV', () => {
  it('matches headers by name, case, spaces and dots aside, and ignores unknown columns', () => {
    expect(['First Name', 'contact.email', 'E-mail', 'Company', 'Deal Value', 'favourite colour'].map(fieldFor)).toEqual(['first_name', 'email', 'email', 'company', 'value', null]);
  });

  it('reads a row into a lead, joining first and last names and normalising what it can', () => {
    const fields = ['first_name', 'last_name', 'email', 'phone', 'status', 'value', 'currency', 'source'].map(fieldFor);
    expect(parseImportRow(fields, ['John', 'Doe', 'John.Doe@Company.com', '+1-555-123-4567', 'Closed Won', '1,234.50', 'eur', 'Website'])).toEqual({
      row: expect.objectContaining({ name: 'John Doe', email: 'john.doe@company.com', phone: '+15551234567', status: 'won', value: 1234.5, currency: 'EUR', source: 'website' }),
    });
  });

  it('refuses a row with a reason naming the column', () => {
    const fields = ['email', 'phone', 'status', 'value', 'id'].map(fieldFor);
    expect(parseImportRow(fields, ['', '', '', '', ''])).toEqual({ reason: 'needs an email or a phone (or the id of an existing lead)' });
    expect(parseImportRow(fields, ['not-an-email', '', '', '', ''])).toEqual({ reason: 'email: "not-an-email" is not an email address' });
    expect(parseImportRow(fields, ['a@b.co', 'call me', '', '', ''])).toEqual({ reason: 'phone: "call me" is not a phone number' });
    expect(parseImportRow(fields, ['a@b.co', '', 'maybe', '', ''])).toMatchObject({ reason: expect.stringMatching(/^status: "maybe" is not one of new/) });
    expect(parseImportRow(fields, ['a@b.co', '', '', '12.345', ''])).toMatchObject({ reason: expect.stringMatching(/^value: "12.345"/) });
    expect(parseImportRow(fields, ['a@b.co', '', '', '1e13', ''])).toMatchObject({ reason: expect.stringMatching(/^value:/) });
    expect(parseImportRow(fields, ['a@b.co', '', '', '', 'lead_1'])).toEqual({ reason: 'id: must be a lead id (UUID) from an export, or empty' });
  });

  it('guards cells against CSV injection, and import takes the guard off again', () => {
    expect(['=HYPERLINK("http://evil")', '+15551234567', '-1', '@SUM(A1)', 'plain', 42, null].map(guardCell)).toEqual(["'=HYPERLINK(\"http://evil\")", "'+15551234567", "'-1", "'@SUM(A1)", 'plain', '42', '']);
    const fields = ['email', 'phone', 'notes'].map(fieldFor);
    expect(parseImportRow(fields, ['a@b.co', "'+15551234567", "'=1+1"])).toEqual({ row: expect.objectContaining({ phone: '+15551234567', notes: '=1+1' }) });
    // A quote that guards nothing is the user's own and stays.
    expect(parseImportRow(fields, ['a@b.co', '', "'tis the season"])).toEqual({ row: expect.objectContaining({ notes: "'tis the season" }) });
  });
});
