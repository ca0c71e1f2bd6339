import { z, type ZodType } from 'zod';
import type { RouteDef } from './routing.ts';

const errorEnvelope = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().nullable(),
    request_id: z.string(),
  }),
});

type JsonSchema = Record<string, unknown>;

/** `anyOf` with an empty schema matches anything (zod's `unknown().nullable()`): say so plainly. */
function simplify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(simplify);
  if (!node || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) out[k] = simplify(v);
  const anyOf = out.anyOf as unknown[] | undefined;
  if (anyOf?.some((s) => s && typeof s === 'object' && Object.keys(s).length === 0)) delete out.anyOf;
  return out;
}

/**
 * Recursive schemas (an automation's nested conditions) come out of zod with local `$defs`;
 * they are named with `.meta({id})`, moved to the document's components and referred to there.
 */
const shared: Record<string, JsonSchema> = {};
const LOCAL_REF = /^#\/\$defs\//;
function hoist(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(hoist);
  if (!node || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$defs') {
      for (const [name, def] of Object.entries(v as Record<string, unknown>)) shared[name] = simplify(hoist(def)) as JsonSchema;
    } else out[k] = k === '$ref' && typeof v === 'string' ? v.replace(LOCAL_REF, '#/components/schemas/') : hoist(v);
  }
  return out;
}

const toSchema = (schema: ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return simplify(hoist(rest)) as JsonSchema;
};

/** The document's tags, each with what it groups (Spectral wants every operation's tag here). */
const TAGS: Record<string, string> = {
  health: 'Whether the API, PostgreSQL and Temporal are up.',
  auth: 'Sign-up, sign-in, token refresh and sign-out.',
  tenant: 'The caller\'s tenant: name, time zone, phone numbers, quiet hours, its own Twilio account.',
  users: 'The tenant\'s users and their roles (admins).',
  contacts: 'People the business talks to.',
  leads: 'Sales leads, their timeline and score, pipelines, CSV import and export, analytics.',
  companies: 'Organisations contacts work for and leads are sold to (seed 003).',
  inbox: 'Inbound messages and their triage, a durable workflow per message.',
  sms: 'Texts and email: sending (a durable workflow per message), the outbox, and Twilio\'s inbound and status webhooks.',
  calendar: 'Calendar events (seed 000 and 002 fields); reminders tied to an event follow it.',
  reminders: 'Reminders by SMS, WhatsApp or email: at a time in a zone or relative to a calendar event, optionally repeating; one durable workflow each.',
  knowledge: 'The knowledge base (seed 000): documents indexed by a durable workflow, hybrid search, and the replies triage drafts from it.',
  integrations: 'CRM integrations (seed 001): Salesforce and HubSpot connections with sealed credentials, and their incremental two-way syncs, one workflow per run.',
  voice: 'Outbound AI voice calls (seed 004): a durable workflow per call, its conversation through Updates.',
  automations: 'User-defined automations (seed 002’s workflows): a trigger, conditions and actions, checked on save, versioned, each run a durable workflow that interprets them.',
  webhooks: 'Outgoing webhooks: endpoints, the event catalogue, deliveries, retries and replays.',
  runs: 'The Temporal workflows of the caller\'s tenant.',
};

/** What the operation needs from the caller, said in every description. */
function accessNote(def: RouteDef): string {
  if (!def.auth) return 'Public: no token (a provider webhook checks its own signature).';
  return def.roles ? `Needs a bearer token of a user with role ${def.roles.join(' or ')}.` : 'Needs a bearer token; sees only the caller\'s tenant.';
}

/** `/contacts/:id` → `/contacts/{id}` */
const openApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

function parameters(def: RouteDef) {
  const params: JsonSchema[] = [];
  for (const [where, schema] of [['path', def.params], ['query', def.query]] as const) {
    if (!schema) continue;
    const json = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      params.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: prop });
    }
  }
  return params;
}

function errorResponses(def: RouteDef) {
  const ref = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const responses: Record<string, unknown> = {
    '400': { description: 'Malformed request', ...ref },
    '422': { description: 'Validation failed (details.fields lists each field)', ...ref },
    '429': { description: 'Rate limit exceeded (see Retry-After)', ...ref },
    '500': { description: 'Unexpected error', ...ref },
  };
  if (def.auth) {
    responses['401'] = { description: 'Missing, invalid or expired token', ...ref };
    if (def.roles) responses['403'] = { description: `Requires role: ${def.roles.join(', ')}`, ...ref };
  }
  if (def.params) responses['404'] = { description: 'Not found (or owned by another tenant)', ...ref };
  if (def.method === 'post') responses['409'] = { description: 'Conflict, duplicate, or Idempotency-Key reused with another body', ...ref };
  return responses;
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApi(defs: RouteDef[], info: { title: string; version: string; prefix: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of defs) {
    const path = `${info.prefix}${openApiPath(def.path)}`;
    const operation: Record<string, unknown> = {
      operationId: `${def.method}${openApiPath(def.path).replace(/[{}]/g, '').replace(/[/_-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: def.summary,
      description: `${def.summary}. ${accessNote(def)}`,
      tags: [def.tag],
      parameters: parameters(def),
      responses: {
        [String(def.status)]: def.response
          ? { description: 'Success', content: { 'application/json': { schema: toSchema(def.response, 'output') } } }
          : { description: 'Success' },
        ...errorResponses(def),
      },
    };
    // Public operations say so explicitly: no security, rather than none declared.
    operation.security = def.auth ? [{ bearerAuth: [] }] : [];
    const body = def.body ?? def.documentedBody;
    if (body) {
      const type = { json: 'application/json', form: 'application/x-www-form-urlencoded', multipart: 'multipart/form-data' }[def.bodyType];
      operation.requestBody = { required: true, content: { [type]: { schema: toSchema(body, 'input') } } };
    }
    if (def.method === 'post') {
      (operation.parameters as JsonSchema[]).push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', maxLength: 255 },
        description: 'Same key and body within 24 h returns the first response without doing the work again.',
      });
    }
    (paths[path] ??= {})[def.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description: 'AI Secretary: a multi-tenant inbox and CRM whose long-running work (triage, onboarding, webhook deliveries) runs as durable Temporal workflows; follow any of it through /runs.',
      license: { name: 'MIT', identifier: 'MIT' },
      contact: { name: 'AI Secretary maintainers' },
    },
    servers: [{ url: '/' }],
    tags: [...new Set(defs.map((d) => d.tag))].map((name) => ({ name, description: TAGS[name] ?? `Operations on ${name}.` })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: toSchema(errorEnvelope, 'output'), ...shared },
    },
  };
}
