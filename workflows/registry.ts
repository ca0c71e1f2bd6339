import type { ActivityDeps } from '../activities/deps.ts';
import type { RegisteredWorkflow } from './kind.ts';
import { onboardingKind } from './onboardTenant.client.ts';
import { triageKind } from './triageMessage.client.ts';
import { webhookKind } from './deliverWebhook.client.ts';
import { reviewKind } from './reviewMessage.client.ts';
import { sendMessageKind } from './sendMessage.client.ts';
import { phoneNumbersKind } from './checkPhoneNumbers.client.ts';
import { reminderKind } from './sendReminder.client.ts';
import { calendarSyncKind } from './syncCalendar.client.ts';
import { leadImportKind } from './importLeads.client.ts';
import { knowledgeIndexKind } from './indexKnowledge.client.ts';
import { crmSyncKind } from './syncCrm.client.ts';
import { callKind } from './placeCall.client.ts';
import { automationKind } from './runAutomation.client.ts';
import { campaignKind } from './runCampaign.client.ts';
import { sendStepTimeoutMs } from '../lib/smsDelivery.ts';

/** Whether a rerun of this workflow type waits for an open run under its ID to close (kind.ts). */
export const rerunWaitsForClose = (workflowType: string): boolean => workflowRegistry.some((k) => k.workflowType === workflowType && k.rerunAfterClose === true);

/**
 * The start delay of a run of this type with these arguments (kind.ts firstTaskAt), or
 * undefined when its first task is due now.
 */
export function firstTaskDelayMs(workflowType: string, args: unknown[], now = Date.now()): number | undefined {
  const at = workflowRegistry.find((k) => k.workflowType === workflowType)?.firstTaskAt?.(args[0] as never);
  return at !== undefined && at > now ? at - now : undefined;
}

/**
 * Every workflow, one line each: the worker builds its activities from this list,
 * `/runs` its `type` filter, and the replay suite checks a saved history for each.
 * (The workflow function itself is exported from workflows/index.ts, the bundle entry;
 * test/unit/workflowRegistry.test.ts checks the two lists agree.)
 */
export const workflowRegistry: readonly RegisteredWorkflow[] = [
  { ...onboardingKind, activities: async (d) => (await import('../activities/onboarding.ts')).createOnboardingActivities(d) },
  { ...triageKind, activities: async (d) => (await import('../activities/triage.ts')).createTriageActivities({ ...d, fallback: d.fallbackClassifier, confidenceThreshold: d.config.triage.confidenceThreshold }) },
  // Runs the triage group's applyReview: no activities of its own.
  { ...reviewKind },
  { ...webhookKind, activities: async (d) => (await import('../activities/webhooks.ts')).createWebhookActivities({ orm: d.orm, secrets: d.secrets, policy: d.config.outbound, post: d.webhookPost, timeoutMs: d.config.webhooks.timeoutMs, disableAfterMs: d.config.webhooks.disableAfterMs, plan: d.config.webhooks.plan }) },
  { ...sendMessageKind, activities: async (d) => (await import('../activities/messaging.ts')).createMessagingActivities(messagingDeps(d)) },
  { ...phoneNumbersKind, activities: async (d) => (await import('../activities/phoneNumbers.ts')).createPhoneNumberActivities({ orm: d.orm, providers: d.messaging }) },
  { ...reminderKind, activities: async (d) => (await import('../activities/reminders.ts')).createReminderActivities(messagingDeps(d)) },
  { ...calendarSyncKind, activities: async (d) => (await import('../activities/calendarSync.ts')).createCalendarSyncActivities({ orm: d.orm, secrets: d.secrets, google: d.config.google, pageSize: d.config.google.pageSize, reminderSendTimeoutMs: sendStepTimeoutMs(d.config.sms.sendTimeoutMs) }) },
  { ...leadImportKind, activities: async (d) => (await import('../activities/leadImport.ts')).createLeadImportActivities({ orm: d.orm, batchRows: d.config.leadImport.batchRows }) },
  { ...crmSyncKind, activities: async (d) => (await import('../activities/crmSync.ts')).createCrmSyncActivities({ orm: d.orm, secrets: d.secrets, settings: d.config.crm, pageSize: d.config.crm.pageSize, overlapMs: d.config.crm.overlapMs }) },
  {
    ...callKind,
    activities: async (d) => {
      const [m, voice] = await Promise.all([import('../activities/voiceCalls.ts'), import('../providers/voice/index.ts')]);
      const phone = { publicBaseUrl: d.config.http.publicBaseUrl, platformNumber: d.config.twilio.phoneNumber, ringSeconds: d.config.voice.ringSeconds };
      return m.createVoiceCallActivities({ orm: d.orm, dialerFor: voice.createVoiceDialers(d.config, d.secrets), phone, agent: d.callAgent });
    },
  },
  { ...knowledgeIndexKind, activities: async (d) => (await import('../activities/knowledge.ts')).createKnowledgeActivities({ orm: d.orm, embeddings: d.embeddings, policy: d.config.outbound, drafter: d.drafter, ...d.config.knowledge }) },
  {
    ...automationKind,
    activities: async (d) =>
      (await import('../activities/automations.ts')).createAutomationActivities(await automationDeps(d)),
  },
  {
    ...campaignKind,
    activities: async (d) => (await import('../activities/campaigns.ts')).createCampaignActivities(await automationDeps(d)),
  },
];

const messagingDeps = (d: ActivityDeps) => ({
  orm: d.orm,
  providers: d.messaging,
  publicBaseUrl: d.config.http.publicBaseUrl,
  platformNumber: d.config.twilio.phoneNumber,
  emailFrom: d.config.emailFrom,
});

const automationDeps = async (d: ActivityDeps) => ({
  orm: d.orm,
  messaging: messagingDeps(d),
  outbound: { policy: d.config.outbound, timeoutMs: d.config.webhooks.timeoutMs },
  callPlan: (await import('../entities/VoiceCall.ts')).callPlan(d.config),
  sendTimeoutMs: d.config.sms.sendTimeoutMs,
});

/** Workflow type by the short name `GET /runs?type=` accepts. */
export const runTypes: Readonly<Record<string, string>> = Object.fromEntries(workflowRegistry.map((w) => [w.runType, w.workflowType]));
