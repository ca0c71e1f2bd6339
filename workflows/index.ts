// The worker's workflow bundle: every workflow, one per file.
export { onboardTenantWorkflow } from './onboardTenant.ts';
export { triageMessageWorkflow } from './triageMessage.ts';
export { deliverWebhookWorkflow } from './deliverWebhook.ts';
export { reviewMessageWorkflow } from './reviewMessage.ts';
export { sendMessageWorkflow } from './sendMessage.ts';
export { checkPhoneNumbersWorkflow } from './checkPhoneNumbers.ts';
export { sendReminderWorkflow } from './sendReminder.ts';
export { syncCalendarWorkflow } from './syncCalendar.ts';
export { importLeadsWorkflow } from './importLeads.ts';
export { indexKnowledgeWorkflow } from './indexKnowledge.ts';
export { syncCrmWorkflow } from './syncCrm.ts';
export { placeCallWorkflow } from './placeCall.ts';
export { runAutomationWorkflow } from './runAutomation.ts';
export { runCampaignWorkflow } from './runCampaign.ts';
