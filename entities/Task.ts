import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { ContactSchema } from './Contact.ts';

export const TASK_STATUSES = ['open', 'done', 'cancelled'] as const;

/** A to-do on a contact; triage extracts them from messages ("please send me the quote"). */
export const TaskSchema = defineEntity({
  name: 'Task',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['tenant', 'dedupeKey'] }],
  properties: {
    title: p.string().length(300),
    dueAt: p.datetime().nullable(),
    status: p.enum(TASK_STATUSES).default('open'),
    contact: () => p.manyToOne(ContactSchema).nullable().deleteRule('cascade'),
    sourceMessageId: p.uuid().nullable(),
    dedupeKey: p.string().length(200).nullable(),
  },
});

export type Task = InferEntity<typeof TaskSchema>;
