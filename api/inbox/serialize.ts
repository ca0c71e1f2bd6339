import type { Message } from '../../entities/Message.ts';
import { triageWorkflowId } from '../../workflows/triageMessage.client.ts';

export function messageDto(m: Message) {
  return {
    id: m.id,
    channel: m.channel,
    external_id: m.externalId ?? null,
    subject: m.subject ?? null,
    content: m.content,
    customer_name: m.customerName ?? null,
    customer_email: m.customerEmail ?? null,
    customer_phone: m.customerPhone ?? null,
    received_at: m.receivedAt.toISOString(),
    status: m.status,
    response: m.response ?? null,
    suggested_response: m.suggestedResponse ?? null,
    suggested_sources: m.suggestedSources ?? null,
    category: m.category ?? null,
    intent: m.intent ?? null,
    priority: m.priority ?? null,
    sentiment: m.sentiment ?? null,
    language: m.language ?? null,
    summary: m.summary ?? null,
    extracted_data: m.extractedData ?? null,
    ai_confidence: m.aiConfidence ?? null,
    classifier: m.classifier ?? null,
    processed: m.triagedAt != null,
    contact_id: m.contact?.id ?? null,
    lead_id: m.lead?.id ?? null,
    triage_workflow_id: triageWorkflowId(m.id),
    triaged_at: m.triagedAt?.toISOString() ?? null,
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
  };
}
