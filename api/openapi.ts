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

const toSchema = (schema: ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

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
      tags: [def.tag],
      parameters: parameters(def),
      responses: {
        [String(def.status)]: def.response
          ? { description: 'Success', content: { 'application/json': { schema: toSchema(def.response, 'output') } } }
          : { description: 'Success' },
        ...errorResponses(def),
      },
    };
    if (def.auth) operation.security = [{ bearerAuth: [] }];
    const body = def.body ?? def.documentedBody;
    if (body) {
      const type = def.bodyType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
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
    info: { title: info.title, version: info.version, description: 'AI Secretary: a multi-tenant inbox and CRM whose long-running work (triage, onboarding) runs as durable Temporal workflows; follow any of it through /runs.' },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: toSchema(errorEnvelope, 'output') },
    },
  };
}
