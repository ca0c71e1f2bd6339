import { defineQuery } from '@temporalio/workflow';
import type { StartRequest } from '../entities/WorkflowStart.ts';
import type { CampaignCounts } from '../activities/campaigns.ts';
import type { RunDefinition } from '../lib/automations/definition.ts';
import { defineWorkflowKind, kindStartRequest } from './kind.ts';

export const campaignKind = defineWorkflowKind({ runType: 'campaign', workflowType: 'runCampaignWorkflow', entityType: 'campaign' });

export const campaignWorkflowId = (campaignId: string) => `campaign-${campaignId}`;

export interface CampaignInput {
  tenantId: string;
  campaignId: string;
  /** The automation's version when the campaign began. */
  definition: RunDefinition;
  /** Contacts per batch activity. */
  batchSize: number;
  /** Carried over continue-as-new: when the next send may go. */
  nextSendAt?: number;
}

export const campaignProgressQuery = defineQuery<CampaignCounts & { status: string }>('progress');

export function campaignStartRequest(input: CampaignInput, opts: { requestId?: string | null } = {}): StartRequest {
  return kindStartRequest(campaignKind, campaignWorkflowId(input.campaignId), input.campaignId, input, opts);
}
