import type { SecretBox } from '../../lib/crypto.ts';
import type { IntegrationType } from '../../entities/Integration.ts';
import { hubspotClient, type HubSpotCredentials, type HubSpotSettings } from './hubspot.ts';
import { salesforceClient, type SalesforceCredentials, type SalesforceSettings } from './salesforce.ts';
import type { CrmClient } from './types.ts';

export interface CrmSettings {
  salesforce: SalesforceSettings;
  hubspot: HubSpotSettings;
}

/** An integration as the client factory needs it: its type, plain settings and sealed secrets. */
export interface IntegrationCredentials {
  type: IntegrationType;
  settings: Record<string, string>;
  secretsSealed: string;
}

/** The whole config (settings and opened secrets), as the type's client takes it. */
export function openConfig(secrets: SecretBox, i: IntegrationCredentials): Record<string, string> {
  return { ...i.settings, ...(JSON.parse(secrets.open(i.secretsSealed)) as Record<string, string>) };
}

/**
 * The real client for an integration. `onToken` stores an access token the client
 * refreshed (Salesforce OAuth), so the next run starts with it.
 */
export function crmClientFor(settings: CrmSettings, secrets: SecretBox, i: IntegrationCredentials, onToken?: (accessToken: string, instanceUrl: string) => Promise<void>): CrmClient {
  const config = openConfig(secrets, i);
  if (i.type === 'salesforce') return salesforceClient(settings.salesforce, config as unknown as SalesforceCredentials, onToken);
  return hubspotClient(settings.hubspot, config as unknown as HubSpotCredentials);
}
