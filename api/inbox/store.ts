import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '../../lib/db.ts';
import type { MessageChannel } from '../../lib/triage.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { MessageSchema, type Message } from '../../entities/Message.ts';
import { recordEvent } from '../../entities/Event.ts';
import { queueWorkflowStart, type StartRequest, type WorkflowStart } from '../../entities/WorkflowStart.ts';

export interface IncomingMessage {
  channel: MessageChannel;
  content: string;
  subject?: string | null;
  customerName?: string | null;
  customerEmail?: string | null;
  customerPhone?: string | null;
  externalId?: string | null;
  /** The storing request's idempotency reference, when it had a key (api/middleware/idempotency.ts). */
  requestKey?: string | null;
  receivedAt?: Date;
  metadata?: Record<string, unknown>;
  status?: Message['status'];
}

export interface Stored {
  message: Message;
  duplicate: boolean;
  /** The work the message asks for (its triage), committed with it; null for a duplicate. */
  start: WorkflowStart | null;
}

/**
 * Stores an inbound message with its `message.received` event and, when `startFor`
 * says so, its triage's start row, all in one transaction: once the client has its
 * answer, the message can no longer be stored without its work. A message whose
 * provider id was already stored is returned as it is (`duplicate`).
 */
export async function storeMessage(
  em: EntityManager,
  tenantId: string,
  input: IncomingMessage,
  startFor?: (messageId: string) => StartRequest | null,
  /** More work that must commit with the message (an SMS opt-out), in its transaction. */
  alongside?: (tx: EntityManager, message: Message) => Promise<void>,
): Promise<Stored> {
  // The message's own identity: the provider's id, or else the request's Idempotency-Key.
  const identity = input.externalId ? { channel: input.channel, externalId: input.externalId } : input.requestKey ? { requestKey: input.requestKey } : null;
  if (identity) {
    const existing = await em.findOne(MessageSchema, identity);
    if (existing) return { message: existing, duplicate: true, start: null };
  }
  try {
    let start: WorkflowStart | null = null;
    const message = await em.transactional(async (tx) => {
      const m = tx.create(MessageSchema, {
        tenant: tenantId,
        channel: input.channel,
        content: input.content,
        subject: input.subject ?? null,
        customerName: input.customerName ?? null,
        customerEmail: input.customerEmail ?? null,
        customerPhone: normalizePhone(input.customerPhone) ?? input.customerPhone ?? null,
        externalId: input.externalId ?? null,
        requestKey: input.externalId ? null : (input.requestKey ?? null),
        receivedAt: input.receivedAt ?? new Date(),
        metadata: input.metadata ?? {},
        status: input.status ?? 'new',
      });
      recordEvent(tx, {
        tenantId,
        type: 'message.received',
        entityType: 'message',
        entityId: m.id,
        payload: { message_id: m.id, channel: m.channel, customer_email: m.customerEmail ?? null, customer_phone: m.customerPhone ?? null },
      });
      const request = startFor?.(m.id);
      if (request) start = queueWorkflowStart(tx, request);
      await alongside?.(tx, m);
      return m;
    });
    return { message, duplicate: false, start };
  } catch (err) {
    // Two deliveries of the same provider id racing: the loser returns the winner's row.
    if (!(err instanceof UniqueConstraintViolationException) || !identity) throw err;
    em.clear();
    const existing = await em.findOneOrFail(MessageSchema, identity);
    return { message: existing, duplicate: true, start: null };
  }
}
