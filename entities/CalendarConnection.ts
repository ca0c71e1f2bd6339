import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { UserSchema } from './User.ts';

export const CALENDAR_PROVIDERS = ['google', 'outlook'] as const;
export const CONNECTION_STATUSES = ['active', 'needs_reauth', 'disconnected'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/**
 * The tenant's link to an external calendar (one per provider: the business's calendar,
 * connected by one of its users). Tokens are sealed (lib/crypto.ts) and never returned.
 * Its sync runs as `calendar-sync-<id>` (workflows/syncCalendar.ts).
 */
export const CalendarConnectionSchema = defineEntity({
  name: 'CalendarConnection',
  tableName: 'calendar_connections',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['tenant', 'provider'] }],
  properties: {
    provider: p.enum(CALENDAR_PROVIDERS),
    /** Who connected it (their consent is what the tokens carry). */
    user: () => p.manyToOne(UserSchema).nullable().deleteRule('set null'),
    status: p.enum(CONNECTION_STATUSES).default('active'),
    /** The provider's calendar synced ('primary': the account's main calendar). */
    calendarId: p.string().length(300).default('primary'),
    accessTokenSealed: p.text().nullable(),
    refreshTokenSealed: p.text().nullable(),
    accessTokenExpiresAt: p.datetime().nullable(),
    scope: p.string().length(500).nullable(),
    /** Google's incremental-sync cursor, from the last page of the last complete pass. */
    syncToken: p.text().nullable(),
    lastSyncedAt: p.datetime().nullable(),
    lastError: p.string().length(500).nullable(),
    /**
     * Reminders whose events moved or ended in pulled pages, kept with those pages' commit
     * until a pull completes and hands them to the run to tell: a pull that fails part-way
     * loses none (the next one finds those events already matching Google).
     */
    remindersToTell: p.array().default([]),
  },
});

export type CalendarConnection = InferEntity<typeof CalendarConnectionSchema>;

/**
 * A synced event deleted here, still to be deleted at the provider: the event row is gone,
 * so its provider id waits here for the next push (activities/calendarSync.ts).
 */
export const CalendarDeletionSchema = defineEntity({
  name: 'CalendarDeletion',
  tableName: 'calendar_deletions',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['connection', 'externalId'] }],
  properties: {
    connection: () => p.manyToOne(CalendarConnectionSchema).deleteRule('cascade'),
    externalId: p.string().length(1024),
  },
});

export type CalendarDeletion = InferEntity<typeof CalendarDeletionSchema>;
