import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { DEFAULT_WORKING_HOURS, type WorkingHours } from '../lib/availability.ts';

export const TenantSchema = defineEntity({
  name: 'Tenant',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    name: p.string().length(200),
    /** Phone numbers (E.164) that route inbound SMS and calls to this tenant. */
    phoneNumbers: p.array().default([]),
    /** IANA zone: relative dates in messages ("tomorrow at 3pm") are read in it. */
    timezone: p.string().length(64).default('UTC'),
    settings: p.json<Record<string, unknown>>().onCreate(() => ({})),
    onboardedAt: p.datetime().nullable(),
    /** Non-urgent messages wait out these hours in the recipient's zone; null: none. */
    quietHours: p.json<{ start: string; end: string } | null>().nullable().onCreate(() => ({ start: '21:00', end: '08:00' })),
    /** When the business takes appointments, in `timezone` (GET /calendar/availability). */
    workingHours: p.json<WorkingHours>().onCreate(() => DEFAULT_WORKING_HOURS),
    /** The tenant's own Twilio account (else the platform's); the token sealed (lib/crypto.ts), never returned. */
    twilioAccountSid: p.string().length(64).nullable().unique(),
    twilioAuthTokenSealed: p.text().nullable(),
    /**
     * The account connected before (switched or disconnected), until `twilioPreviousUntil`:
     * Twilio still reports on texts it sent, and those callbacks are signed with its token.
     */
    twilioPreviousAccountSid: p.string().length(64).nullable(),
    twilioPreviousAuthTokenSealed: p.text().nullable(),
    twilioPreviousUntil: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export type Tenant = InferEntity<typeof TenantSchema>;

/**
 * The number a tenant's texts and calls come from: its own first number, else the
 * platform's, which only the platform's account can send from: a tenant with its own
 * account and no number of it yet has none (Twilio would refuse the platform's, 21606).
 */
export function senderNumber(tenant: Tenant, platformNumber: string | undefined): string | null {
  return tenant.phoneNumbers[0] ?? (tenant.twilioAccountSid ? null : platformNumber) ?? null;
}
