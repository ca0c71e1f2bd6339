import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { directSql, type DirectSql } from '../lib/directSql.ts';
import { LockMode } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { tenantEm, type EntityManager } from '../lib/db.ts';
import type { TriageInput, TriageResult } from '../lib/triage.ts';
import { leadSnapshot } from '../lib/snapshots.ts';
import { ProviderError } from '../providers/errors.ts';
import type { TriageClassifier } from '../providers/llm/types.ts';
import { MessageSchema, type Message, type MessageStatus } from '../entities/Message.ts';
import { LeadSchema, OPEN_LEAD_STATUSES, type Lead } from '../entities/Lead.ts';
import { recordLeadActivity } from '../entities/LeadActivity.ts';
import { rescoreLead } from '../entities/leadScoring.ts';
import { CalendarEventSchema } from '../entities/CalendarEvent.ts';
import { TaskSchema } from '../entities/Task.ts';
import { PipelineSchema } from '../entities/Pipeline.ts';
import { recordEvent } from '../entities/Event.ts';
import { TenantSchema } from '../entities/Tenant.ts';
import { withHeartbeat } from './heartbeat.ts';
import { findOrCreateContact, type Contact } from '../entities/Contact.ts';

export interface TriageDeps {
  orm: MikroORM;
  /** The configured classifier (OpenAI-compatible, or the local rules when no key is set). */
  classifier: TriageClassifier;
  /** Used when the configured one keeps failing, so a message is never left untriaged. */
  fallback: TriageClassifier;
  confidenceThreshold: number;
  /** From this attempt on, a failing classifier gives way to the fallback. */
  fallbackAfterAttempts?: number;
}

export interface MessageRef {
  tenantId: string;
  messageId: string;
}

export interface Classification {
  result: TriageResult;
  classifier: string;
  /** Why the fallback classified instead, when it did. */
  fallbackReason: string | null;
}

export interface TriageOutcome {
  status: MessageStatus;
  category: TriageResult['category'];
  contactId: string | null;
  contactCreated: boolean;
  leadId: string | null;
  leadCreated: boolean;
  eventIds: string[];
  taskIds: string[];
}

export interface MessageReview {
  category?: TriageResult['category'];
  priority?: TriageResult['priority'];
  status?: MessageStatus;
}

/** Statuses a person set by hand; a re-run of triage leaves them alone. */
const HUMAN_STATUSES: MessageStatus[] = ['in_progress', 'resolved'];

function triageInput(message: Message, timezone: string): TriageInput {
  return {
    channel: message.channel,
    content: message.content,
    subject: message.subject ?? null,
    customer: { name: message.customerName ?? null, email: message.customerEmail ?? null, phone: message.customerPhone ?? null },
    receivedAt: message.receivedAt.toISOString(),
    timezone,
  };
}

function statusFor(result: TriageResult, threshold: number): MessageStatus {
  if (result.category === 'spam') return 'spam';
  return result.confidence < threshold ? 'needs_review' : 'triaged';
}

async function defaultPipeline(tx: EntityManager) {
  return tx.findOne(PipelineSchema, { isDefault: true });
}

/** The contact's open lead, or a new one for this message (seed 000: inquiries become leads). */
async function ensureOpenLead(tx: EntityManager, tenantId: string, message: Message, contact: Contact): Promise<{ lead: Lead; created: boolean }> {
  const open = await tx.findOne(LeadSchema, { contact, status: { $in: OPEN_LEAD_STATUSES } }, { orderBy: { createdAt: 'desc' } });
  if (open) {
    onTimeline(tx, tenantId, open, message);
    return { lead: open, created: false };
  }
  const pipeline = await defaultPipeline(tx);
  const lead = tx.create(LeadSchema, {
    tenant: tenantId,
    contact,
    title: message.intent ? `${contact.name}: ${message.intent}` : `${contact.name} (${message.channel} inquiry)`,
    source: message.channel,
    status: 'new',
    pipeline,
    stageId: pipeline ? 'new' : null,
    sourceMessageId: message.id,
  });
  recordEvent(tx, {
    tenantId,
    type: 'lead.created',
    entityType: 'lead',
    entityId: lead.id,
    payload: { lead: leadSnapshot(lead, contact), message_id: message.id },
  });
  onTimeline(tx, tenantId, lead, message);
  return { lead, created: true };
}

/** The message on its lead's timeline, in the same transaction (a retried apply of the same run writes nothing again). */
function onTimeline(tx: EntityManager, tenantId: string, lead: Lead, message: Message) {
  recordLeadActivity(tx, {
    tenantId,
    leadId: lead.id,
    activityType: 'message_received',
    description: `Inbound ${message.channel} message${message.intent ? `: ${message.intent}` : ''}`,
    metadata: { message_id: message.id, channel: message.channel, category: message.category ?? null },
  });
}

function outcomeOf(message: Message, extra: Partial<TriageOutcome> = {}): TriageOutcome {
  return {
    status: message.status,
    category: message.category ?? 'other',
    contactId: message.contact?.id ?? null,
    contactCreated: false,
    leadId: message.lead?.id ?? null,
    leadCreated: false,
    eventIds: [],
    taskIds: [],
    ...extra,
  };
}

/** Whether the tenant has any indexed passage, which a drafted reply quotes (on every triage: one statement, no ORM layers). */
async function hasKnowledge(sql: DirectSql, tenantId: string): Promise<boolean> {
  const [row] = await sql<{ found: boolean }>('select exists (select 1 from knowledge_chunks where tenant_id = $1) as found', [tenantId]);
  return row?.found === true;
}

export function createTriageActivities({ orm, classifier, fallback, confidenceThreshold, fallbackAfterAttempts = 4 }: TriageDeps) {
  const sql = directSql(orm);
  return {
    /** Reads only; safe to retry. Provider failures become retries (honouring Retry-After) until the fallback takes over. */
    async classifyMessage({ tenantId, messageId }: MessageRef): Promise<Classification> {
      const em = tenantEm(orm, tenantId);
      const message = await em.findOneOrFail(MessageSchema, messageId);
      const tenant = await em.findOneOrFail(TenantSchema, tenantId);
      const input = triageInput(message, tenant.timezone);
      const attempt = Context.current().info.attempt;
      try {
        const result = await withHeartbeat((signal) => classifier.classify(input, { signal }));
        return { result, classifier: classifier.name, fallbackReason: null };
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        const permanent = !err.retryable;
        if (permanent || attempt >= fallbackAfterAttempts) {
          log.warn('classifier failed; using the fallback', { classifier: classifier.name, kind: err.kind, attempt });
          const result = await fallback.classify(input);
          return { result, classifier: fallback.name, fallbackReason: `${classifier.name}: ${err.kind}` };
        }
        throw ApplicationFailure.create({
          message: err.message,
          type: `Provider.${err.kind}`,
          nextRetryDelay: err.retryAfterMs,
        });
      }
    },

    /**
     * Writes the classification and everything it implies in one transaction. Keyed by
     * run: applying the same run twice (a retry after a crash) returns the first outcome.
     * Says whether a reply could be drafted (`draftable`: not spam, and the tenant has an
     * indexed passage), so the run skips the draft step where it would find nothing to quote.
     */
    async applyTriage({ tenantId, messageId, runKey, classification }: MessageRef & { runKey: string; classification: Classification }): Promise<TriageOutcome & { draftable?: boolean }> {
      const { result } = classification;
      const outcome = await tenantEm(orm, tenantId).transactional(async (tx) => {
        // Row lock first (FOR UPDATE cannot cover the outer joins of a populate), then the relations.
        const message = await tx.findOneOrFail(MessageSchema, messageId, { lockMode: LockMode.PESSIMISTIC_WRITE });
        await tx.populate(message, ['contact', 'lead']);
        if (message.triageRunKey === runKey) return outcomeOf(message);

        Object.assign(message, {
          category: result.category,
          intent: result.intent,
          priority: result.priority,
          sentiment: result.sentiment,
          language: result.language,
          summary: result.summary,
          extractedData: result.extracted_data,
          aiConfidence: result.confidence,
          classifier: classification.classifier,
          triageRunKey: runKey,
          triagedAt: new Date(),
        });
        if (!HUMAN_STATUSES.includes(message.status)) message.status = statusFor(result, confidenceThreshold);

        const extracted = result.extracted_data.contacts[0];
        const found = message.contact
          ? { contact: message.contact, created: false }
          : await findOrCreateContact(tx, tenantId, {
              name: message.customerName ?? extracted?.name,
              email: message.customerEmail ?? extracted?.email,
              phone: message.customerPhone ?? extracted?.phone,
              company: extracted?.company,
            });
        if (found) message.contact = found.contact;

        let leadCreated = false;
        if (found && result.category === 'sales_inquiry' && message.status !== 'spam') {
          const { lead, created } = await ensureOpenLead(tx, tenantId, message, found.contact);
          message.lead = lead;
          leadCreated = created;
          await rescoreLead(tx, lead);
        }

        const eventIds: string[] = [];
        for (const [i, e] of result.extracted_data.events.entries()) {
          const dedupeKey = `${message.id}:event:${i}`;
          const start = new Date(e.start);
          if (Number.isNaN(start.getTime())) continue;
          const end = e.end ? new Date(e.end) : new Date(start.getTime() + 3_600_000);
          const existing = await tx.findOne(CalendarEventSchema, { dedupeKey });
          const row = existing ?? tx.create(CalendarEventSchema, {
            tenant: tenantId,
            title: e.title,
            startsAt: start,
            endsAt: Number.isNaN(end.getTime()) ? new Date(start.getTime() + 3_600_000) : end,
            location: e.location,
            status: 'proposed',
            contact: message.contact ?? null,
            sourceMessageId: message.id,
            dedupeKey,
          });
          eventIds.push(row.id);
        }

        const taskIds: string[] = [];
        for (const [i, t] of result.extracted_data.tasks.entries()) {
          const dedupeKey = `${message.id}:task:${i}`;
          const due = t.due ? new Date(t.due) : null;
          const existing = await tx.findOne(TaskSchema, { dedupeKey });
          const row = existing ?? tx.create(TaskSchema, {
            tenant: tenantId,
            title: t.title,
            dueAt: due && !Number.isNaN(due.getTime()) ? due : null,
            contact: message.contact ?? null,
            sourceMessageId: message.id,
            dedupeKey,
          });
          taskIds.push(row.id);
        }

        recordEvent(tx, {
          tenantId,
          type: 'message.triaged',
          entityType: 'message',
          entityId: message.id,
          payload: {
            message_id: message.id,
            status: message.status,
            category: result.category,
            priority: result.priority,
            confidence: result.confidence,
            contact_id: message.contact?.id ?? null,
            lead_id: message.lead?.id ?? null,
          },
        });
        return outcomeOf(message, { contactCreated: found?.created ?? false, leadCreated, eventIds, taskIds });
      });
      return { ...outcome, draftable: outcome.category !== 'spam' && (await hasKnowledge(sql, tenantId)) };
    },

    /** A person's confirmation or correction of a low-confidence triage. Idempotent: a second apply finds the lead it made. */
    async applyReview({ tenantId, messageId, review }: MessageRef & { review: MessageReview }): Promise<TriageOutcome> {
      return tenantEm(orm, tenantId).transactional(async (tx) => {
        const message = await tx.findOneOrFail(MessageSchema, messageId, { populate: ['contact', 'lead'] });
        if (review.category) message.category = review.category;
        if (review.priority) message.priority = review.priority;
        message.status = review.status ?? (message.category === 'spam' ? 'spam' : 'triaged');
        message.reviewedAt ??= new Date();
        let leadCreated = false;
        if (message.category === 'sales_inquiry' && message.contact && !message.lead && message.status !== 'spam') {
          const { lead, created } = await ensureOpenLead(tx, tenantId, message, message.contact);
          message.lead = lead;
          leadCreated = created;
          await rescoreLead(tx, lead);
        }
        return outcomeOf(message, { leadCreated });
      });
    },
  };
}

export type TriageActivities = ReturnType<typeof createTriageActivities>;
