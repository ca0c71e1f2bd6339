import { dataTypesOf, ownableFields, type CrmDataType, type CrmProviderType } from './mappings.ts';

const ownable = (provider: CrmProviderType) => Object.fromEntries(dataTypesOf(provider).map((d) => [d, ownableFields(provider, d)]));

/**
 * Seed 001's integration types, each with the config fields it takes and which are
 * secret (sealed at rest, never returned). `GET /integrations/types` answers this.
 */
export interface ConfigField {
  name: string;
  /** Sealed at rest and never returned. */
  is_secret: boolean;
  required: boolean;
  description: string;
}

export interface IntegrationTypeInfo {
  type: string;
  category: 'crm' | 'erp';
  name: string;
  available: boolean;
  data_types: readonly CrmDataType[];
  /** Alternative sets of required fields (any one set suffices). */
  auth_methods: Array<{ name: string; fields: string[] }>;
  config_fields: ConfigField[];
  /** Our field names `field_owners` may name, per data type. */
  ownable_fields: Partial<Record<CrmDataType, string[]>>;
  note?: string;
}

const field = (name: string, secret: boolean, description: string, required = false): ConfigField => ({ name, is_secret: secret, required, description });

export const INTEGRATION_CATALOGUE: readonly IntegrationTypeInfo[] = [
  {
    type: 'salesforce',
    category: 'crm',
    name: 'Salesforce',
    available: true,
    data_types: dataTypesOf('salesforce'),
    auth_methods: [
      { name: 'password', fields: ['username', 'password'] },
      { name: 'oauth', fields: ['instance_url', 'access_token'] },
    ],
    config_fields: [
      field('username', false, 'The integration user’s login (seed 001)'),
      field('password', true, 'Its password'),
      field('security_token', true, 'Its security token, appended to the password at login'),
      field('domain', false, 'My Domain or login host (company.my.salesforce.com, test.salesforce.com); login.salesforce.com when unset'),
      field('instance_url', false, 'OAuth: the org’s instance URL'),
      field('access_token', true, 'OAuth: an access token'),
      field('refresh_token', true, 'OAuth: a refresh token (needs SALESFORCE_CLIENT_ID and SECRET on the server)'),
    ],
    ownable_fields: ownable('salesforce'),
  },
  {
    type: 'hubspot',
    category: 'crm',
    name: 'HubSpot',
    available: true,
    data_types: dataTypesOf('hubspot'),
    auth_methods: [{ name: 'private_app', fields: ['access_token'] }],
    config_fields: [field('access_token', true, 'A private app’s access token (scopes: crm.objects.contacts and crm.objects.deals read and write)', true)],
    ownable_fields: ownable('hubspot'),
  },
  {
    type: 'sap',
    category: 'erp',
    name: 'SAP',
    available: false,
    data_types: [],
    auth_methods: [],
    config_fields: [],
    ownable_fields: {},
    note: 'Not available yet: SAP can be listed, not added.',
  },
];

export const typeInfo = (type: string) => INTEGRATION_CATALOGUE.find((t) => t.type === type);

export interface ConfigProblem {
  field: string;
  message: string;
}

/**
 * A config split into its plain settings and its secrets, or what is wrong with it (field
 * by field). `previous` is the stored config on an update: fields not given are kept.
 */
export function splitConfig(
  info: IntegrationTypeInfo,
  config: Record<string, unknown>,
  previous: Record<string, string> = {},
): { settings: Record<string, string>; secrets: Record<string, string> } | { problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const known = new Map(info.config_fields.map((f) => [f.name, f]));
  const merged: Record<string, string> = { ...previous };
  for (const [name, value] of Object.entries(config)) {
    if (!known.has(name)) {
      problems.push({ field: `config.${name}`, message: `is not a ${info.name} setting (${[...known.keys()].join(', ')})` });
      continue;
    }
    if (value === null) {
      delete merged[name];
      continue;
    }
    if (typeof value !== 'string' || !value.trim() || value.length > 4096) {
      problems.push({ field: `config.${name}`, message: 'must be a non-empty string of at most 4096 characters' });
      continue;
    }
    merged[name] = value.trim();
  }
  if (merged.instance_url && !/^https?:\/\/[^\s/]+/.test(merged.instance_url)) problems.push({ field: 'config.instance_url', message: 'must be a URL' });
  if (merged.domain && !/^(https?:\/\/)?[a-z0-9.-]+(:\d+)?\/?$/i.test(merged.domain)) problems.push({ field: 'config.domain', message: 'must be a host name such as company.my.salesforce.com' });
  const satisfied = info.auth_methods.find((m) => m.fields.every((f) => merged[f]));
  if (!satisfied && !problems.length) {
    const ways = info.auth_methods.map((m) => m.fields.join(' + ')).join(', or ');
    problems.push({ field: 'config', message: `needs ${ways}` });
  }
  if (problems.length) return { problems };
  const settings: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(merged)) (known.get(name)?.is_secret ? secrets : settings)[name] = value;
  return { settings, secrets };
}
