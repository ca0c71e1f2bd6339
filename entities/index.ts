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

export const entities = [
  BaseSchema,
  TenantScopedSchema,
  TenantSchema,
  UserSchema,
  RefreshTokenSchema,
  RefreshTokenFamilySchema,
  ContactSchema,
  EventSchema,
  IdempotencyKeySchema,
  RateLimitCounterSchema,
  PipelineSchema,
  MessageSchema,
  LeadSchema,
  CalendarEventSchema,
  TaskSchema,
  WorkflowStartSchema,
  WebhookEndpointSchema,
  WebhookDeliverySchema,
  WebhookAttemptSchema,
];

/** Entities whose rows belong to one tenant: the `tenant` filter applies to each. */
export const tenantScopedEntities = entities.filter((e) => !e.meta.abstract && e.meta.extends === TenantScopedSchema);
