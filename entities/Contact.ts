import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';

export const ContactSchema = defineEntity({
  name: 'Contact',
  extends: TenantScopedSchema,
  indexes: [{ properties: ['tenant', 'email'] }, { properties: ['tenant', 'phone'] }],
  properties: {
    name: p.string().length(200),
    email: p.string().length(320).nullable(),
    phone: p.string().length(32).nullable(),
    organization: p.string().length(200).nullable(),
    notes: p.text().nullable(),
    tags: p.array().default([]),
    customFields: p.json<Record<string, unknown>>().onCreate(() => ({})),
    /** Set by STOP/UNSUBSCRIBE over SMS; nothing may text this contact while true. */
    smsOptOut: p.boolean().default(false),
  },
});

export type Contact = InferEntity<typeof ContactSchema>;
