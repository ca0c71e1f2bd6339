import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type TestStack } from '../support/app.ts';
import { aTenant } from '../support/factories.ts';
import { accountSid, startFakeTwilio, type FakeTwilio } from '../fakes/twilioServer.ts';
import { assignPlatformNumber } from '../../entities/platformNumbers.ts';

/**
 * A platform with no Twilio of its own (texts go to the local sink) whose tenants may
 * connect their own accounts: a number claimed there was never checked, so it must not
 * keep the business whose Twilio account has it from its own number.
 */
let stack: TestStack;
let twilio: FakeTwilio;
const OWNER_SID = accountSid('claims-owner');
const OWNER_TOKEN = 'claims-owner-token-0123456789abcd';
const NUMBER = '+15005550711';

beforeAll(async () => {
  twilio = await startFakeTwilio();
  twilio.addAccount(OWNER_SID, { authToken: OWNER_TOKEN, numbers: [NUMBER] });
  stack = await startStack({ env: { TWILIO_API_URL: twilio.url, RATE_LIMIT_PER_MINUTE: '1000', RATE_LIMIT_AUTH_PER_MINUTE: '1000' } });
}, 60_000);
afterAll(async () => {
  await stack.close();
  await twilio.close();
});

const claim = (token: string, numbers: string[]) => stack.http.patch('/api/v1/tenant', { token, body: { phone_numbers: numbers } });
const numbersOf = async (token: string) => (await stack.http.get('/api/v1/tenant', { token })).body.data.phone_numbers;

describe('a number claimed on the local sink', () => {
  it("yields to the tenant whose own Twilio account has it, and a number so checked is nobody else's", async () => {
    const squatter = await aTenant(stack.http);
    expect((await claim(squatter.token, [NUMBER, '+15005550712'])).status).toBe(200);
    const owner = await aTenant(stack.http);
    expect((await stack.http.put('/api/v1/tenant/twilio', { token: owner.token, body: { account_sid: OWNER_SID, auth_token: OWNER_TOKEN } })).status).toBe(200);
    const claimed = await claim(owner.token, [NUMBER]);
    expect(claimed.status).toBe(200);
    expect(claimed.body.data.phone_numbers).toEqual([NUMBER]);
    expect(await numbersOf(squatter.token)).toEqual(['+15005550712']);
    // Checked now: neither a local-sink tenant nor another account takes it back.
    expect((await claim(squatter.token, [NUMBER])).status).toBe(409);
    const otherSid = accountSid('claims-other');
    twilio.addAccount(otherSid, { authToken: 'claims-other-token-0123456789abcd', numbers: [] });
    const other = await aTenant(stack.http);
    expect((await stack.http.put('/api/v1/tenant/twilio', { token: other.token, body: { account_sid: otherSid, auth_token: 'claims-other-token-0123456789abcd' } })).status).toBe(200);
    expect((await claim(other.token, [NUMBER])).status).toBe(409);
    expect(await numbersOf(owner.token)).toEqual([NUMBER]);
  }, 60_000);

  it('yields from every tenant holding one of the numbers claimed', async () => {
    const sid = accountSid('claims-two');
    twilio.addAccount(sid, { authToken: 'claims-two-token-0123456789abcdef', numbers: ['+15005550721', '+15005550722'] });
    const first = await aTenant(stack.http);
    const second = await aTenant(stack.http);
    expect((await claim(first.token, ['+15005550721'])).status).toBe(200);
    expect((await claim(second.token, ['+15005550722'])).status).toBe(200);
    const owner = await aTenant(stack.http);
    expect((await stack.http.put('/api/v1/tenant/twilio', { token: owner.token, body: { account_sid: sid, auth_token: 'claims-two-token-0123456789abcdef' } })).status).toBe(200);
    expect((await claim(owner.token, ['+15005550721', '+15005550722'])).status).toBe(200);
    expect([await numbersOf(first.token), await numbersOf(second.token)]).toEqual([[], []]);
  }, 60_000);

  it('stays where it is when the claimant with its own account does not have it', async () => {
    const squatter = await aTenant(stack.http);
    expect((await claim(squatter.token, ['+15005550713'])).status).toBe(200);
    const sid = accountSid('claims-third');
    twilio.addAccount(sid, { authToken: 'claims-third-token-0123456789abcd', numbers: [] });
    const claimant = await aTenant(stack.http);
    expect((await stack.http.put('/api/v1/tenant/twilio', { token: claimant.token, body: { account_sid: sid, auth_token: 'claims-third-token-0123456789abcd' } })).status).toBe(200);
    expect((await claim(claimant.token, ['+15005550713'])).status).toBe(422);
    expect(await numbersOf(squatter.token)).toEqual(['+15005550713']);
  }, 60_000);
});

describe('a number a platform operator assigns (npm run assign-number)', () => {
  const script = fileURLToPath(new URL('../../scripts/assign-number.ts', import.meta.url));
  const assignByCommand = (tenantId: string, number: string) =>
    promisify(execFile)(process.execPath, [script, tenantId, number], { env: { ...process.env, DATABASE_URL: stack.config.database.url } });

  it('is given to the tenant through the command, once however often it is assigned', async () => {
    const t = await aTenant(stack.http);
    const { stdout } = await assignByCommand(t.tenantId, '+1 (500) 555-0731');
    expect(stdout).toContain(`+15005550731 → tenant ${t.tenantId}`);
    await assignByCommand(t.tenantId, '+15005550731');
    expect(await numbersOf(t.token)).toEqual(['+15005550731']);
  }, 60_000);

  it("refuses another tenant's number, a tenant with its own Twilio account and what is not a number, changing nothing", async () => {
    const holder = await aTenant(stack.http);
    await assignPlatformNumber(stack.orm, holder.tenantId, '+15005550732');
    const other = await aTenant(stack.http);
    await expect(assignPlatformNumber(stack.orm, other.tenantId, '+15005550732')).rejects.toThrow(`+15005550732 already belongs to tenant ${holder.tenantId}`);
    await expect(assignByCommand(other.tenantId, '+15005550732')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('already belongs') });
    const sid = accountSid('claims-operator');
    twilio.addAccount(sid, { authToken: 'claims-operator-token-0123456789ab', numbers: [] });
    const own = await aTenant(stack.http);
    expect((await stack.http.put('/api/v1/tenant/twilio', { token: own.token, body: { account_sid: sid, auth_token: 'claims-operator-token-0123456789ab' } })).status).toBe(200);
    await expect(assignPlatformNumber(stack.orm, own.tenantId, '+15005550733')).rejects.toThrow('its own Twilio account');
    await expect(assignPlatformNumber(stack.orm, other.tenantId, 'call me')).rejects.toThrow('"call me" is not a phone number');
    expect([await numbersOf(holder.token), await numbersOf(other.token), await numbersOf(own.token)]).toEqual([['+15005550732'], [], []]);
  }, 60_000);
});
