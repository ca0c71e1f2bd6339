import { BaseSchema, TenantScopedSchema } from './base.ts';
import { CalendarEventSchema } from './CalendarEvent.ts';
import { LeadSchema } from './Lead.ts';
import { MessageSchema } from './Message.ts';
import { TaskSchema } from './Task.ts';
import { ContactSchema } from './Contact.ts';
import { EventSchema } from './Event.ts';
import { IdempotencyKeySchema } from './IdempotencyKey.ts';
import { PipelineSchema } from './Pipeline.ts';
import { RateLimitCounterSchema } from './RateLimitCounter.ts';
import { RefreshTokenSchema } from './RefreshToken.ts';
import { RefreshTokenFamilySchema } from './RefreshTokenFamily.ts';
import { TenantSchema } from './Tenant.ts';
import { UserSchema } from './User.ts';
import { WebhookAttemptSchema } from './WebhookAttempt.ts';
import { WebhookDeliverySchema } from './WebhookDelivery.ts';
import { WebhookEndpointSchema } from './WebhookEndpoint.ts';
import { WorkflowStartSchema } from './WorkflowStart.ts';
import { OutboundMessageSchema } from './OutboundMessage.ts';
import { ReminderSchema } from './Reminder.ts';
import { SmsOptOutSchema } from './SmsOptOut.ts';
import { CalendarConnectionSchema, CalendarDeletionSchema } from './CalendarConnection.ts';
import { LeadActivitySchema } from './LeadActivity.ts';
import { CompanySchema } from './Company.ts';
import { LeadImportSchema } from './LeadImport.ts';
import { KnowledgeDocumentSchema } from './KnowledgeDocument.ts';
import { KnowledgeChunkSchema } from './KnowledgeChunk.ts';
import { VoiceCallSchema } from './VoiceCall.ts';
import { AutomationRunSchema, AutomationSchema, AutomationWatchSchema, CampaignSchema, CampaignStepSchema } from './Automation.ts';
import { IntegrationRecordSchema, IntegrationSchema, IntegrationSyncRunSchema, IntegrationSyncStateSchema } from './Integration.ts';

export const entities = [
  BaseSchema,
  TenantScopedSchema,
  TenantSchema,
  UserSchema,
  RefreshTokenSchema,
  RefreshTokenFamilySchema,
  CompanySchema,
  ContactSchema,
  SmsOptOutSchema,
  EventSchema,
  IdempotencyKeySchema,
  RateLimitCounterSchema,
  PipelineSchema,
  MessageSchema,
  LeadSchema,
  LeadActivitySchema,
  LeadImportSchema,
  CalendarEventSchema,
  CalendarConnectionSchema,
  CalendarDeletionSchema,
  TaskSchema,
  WorkflowStartSchema,
  WebhookEndpointSchema,
  WebhookDeliverySchema,
  WebhookAttemptSchema,
  OutboundMessageSchema,
  ReminderSchema,
  KnowledgeDocumentSchema,
  KnowledgeChunkSchema,
  IntegrationSchema,
  IntegrationSyncStateSchema,
  IntegrationSyncRunSchema,
  IntegrationRecordSchema,
  VoiceCallSchema,
  AutomationSchema,
  AutomationRunSchema,
  AutomationWatchSchema,
  CampaignSchema,
  CampaignStepSchema,
];

type Schema = (typeof entities)[number];

/** Whether rows of an entity belong to a tenant: it has a `tenant` property, its own or inherited at any depth. */
export function isTenantScoped(schema: Schema): boolean {
  for (let meta: { properties: object; extends?: unknown } | undefined = schema.meta; meta; meta = (meta.extends as Schema | undefined)?.meta) {
    if ('tenant' in meta.properties) return true;
  }
  return false;
}

/** Entities whose rows belong to one tenant: the `tenant` filter applies to each, derived, never listed by hand. */
export const tenantScopedEntities = entities.filter((e) => !e.meta.abstract && isTenantScoped(e));

/**
 * The tables that belong to no tenant, on purpose: the tenants themselves, idempotency
 * answers (scoped by caller, read before the route knows its tenant) and rate-limit
 * counters (keyed by address or user). test/unit/tenancy.test.ts fails on any other.
 */
export const GLOBAL_ENTITIES = ['Tenant', 'IdempotencyKey', 'RateLimitCounter'];
