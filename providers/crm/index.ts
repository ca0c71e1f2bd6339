import type { SecretBox } from '../../lib/crypto.ts';
import type { IntegrationType } from '../../entities/Integration.ts';
import type { HubSpotCredentials, HubSpotSettings } from './hubspot.ts';
import type { SalesforceCredentials, SalesforceSettings } from './salesforce.ts';
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
 * refreshed (Salesforce OAuth), so the next run starts with it. The client library is
 * loaded on first use: the API reads this module for its routes and should not load
 * jsforce (150 ms here) at start for a credentials test nobody may run.
 */
export async function crmClientFor(settings: CrmSettings, secrets: SecretBox, i: IntegrationCredentials, onToken?: (accessToken: string, instanceUrl: string) => Promise<void>): Promise<CrmClient> {
  const config = openConfig(secrets, i);
  if (i.type === 'salesforce') return (await import('./salesforce.ts')).salesforceClient(settings.salesforce, config as unknown as SalesforceCredentials, onToken);
  return (await import('./hubspot.ts')).hubspotClient(settings.hubspot, config as unknown as HubSpotCredentials);
}
