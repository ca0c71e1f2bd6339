import { defineSignal } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { DeliveryVerdict } from '../lib/smsDelivery.ts';
import type { SendMessageInput } from './sendMessage.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const sendMessageKind = defineWorkflowKind({ runType: 'sms', workflowType: 'sendMessageWorkflow', entityType: 'outbound_message' });

export const sendMessageWorkflowId = (messageId: string) => `sms-${messageId}`;

/** Twilio's final word on a message (delivered, undelivered, failed), from POST /sms/status. */
export const deliveryStatusSignal = defineSignal<[DeliveryVerdict]>('deliveryStatus');

/** The start row for an outbound message, committed with it. */
export function sendMessageStartRequest(input: SendMessageInput, opts: { requestId?: string | null } = {}): StartRequest {
  return kindStartRequest(sendMessageKind, sendMessageWorkflowId(input.messageId), input.messageId, input, opts);
}
