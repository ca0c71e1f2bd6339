import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { TenantScopedSchema } from './base.ts';
import { UserSchema } from './User.ts';

export const IMPORT_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** At most this many rejected rows are kept with their reasons; the count goes on. */
export const MAX_KEPT_REJECTIONS = 1000;

export interface ImportRejection {
  /** The row as a spreadsheet numbers it: the header is row 1. */
  row: number;
  reason: string;
}

/**
 * One CSV upload (POST /crm/leads/import) and how far its workflow (`lead-import-<id>`)
 * has come. The file is kept here, so any worker can read it; `byteOffset` and the
 * counts are committed with each batch of rows, in the batch's own transaction, so a
 * retried batch after a worker kill starts where the last commit ended and writes no row twice.
 */
export const LeadImportSchema = defineEntity({
  name: 'LeadImport',
  tableName: 'lead_imports',
  extends: TenantScopedSchema,
  uniques: [{ properties: ['tenant', 'requestKey'] }],
  properties: {
    user: () => p.manyToOne(UserSchema).nullable().deleteRule('set null'),
    filename: p.string().length(255),
    sizeBytes: p.bigint('number'),
    /** sha256 of the file, so a repeated upload can be recognised. */
    contentHash: p.string().length(64),
    content: p.blob().lazy(),
    status: p.enum(IMPORT_STATUSES).default('queued'),
    /** The header row's fields mapped to lead fields (lib/leadCsv.ts), read once. */
    columns: p.json<(string | null)[]>().nullable(),
    /** Where the next unread row starts in `content`. */
    byteOffset: p.bigint('number').default(0),
    rowsDone: p.integer().default(0),
    created: p.integer().default(0),
    updated: p.integer().default(0),
    rejected: p.integer().default(0),
    rejections: p.json<ImportRejection[]>().onCreate(() => []),
    error: p.text().nullable(),
    completedAt: p.datetime().nullable(),
    /** The uploading request's Idempotency-Key, hashed with its caller and file (api/startWork.ts madeOnce). */
    requestKey: p.string().length(64).nullable(),
  },
});

export type LeadImport = InferEntity<typeof LeadImportSchema>;
