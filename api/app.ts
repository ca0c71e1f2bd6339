import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { AppContextExtras, AppDeps, AppState } from './context.ts';
import { authenticate } from './middleware/authenticate.ts';
import { errorHandler } from './middleware/errorHandler.ts';
import { idempotency } from './middleware/idempotency.ts';
import { inputGuard, parseBody } from './middleware/inputGuard.ts';
import { httpMetrics } from './middleware/metrics.ts';
import { createLimiters, rateLimit } from './middleware/rateLimit.ts';
import { requestId } from './middleware/requestId.ts';
import { requestLog } from './middleware/requestLog.ts';
import { mountRoutes, type RouteDef } from './routing.ts';
import { uploadLimits } from './multipart.ts';
import { buildOpenApi } from './openapi.ts';
import { docsRouter } from './docs.ts';
import { authRoutes } from './auth/routes.ts';
import { contactRoutes } from './contacts/routes.ts';
import { healthRoutes } from './health/routes.ts';
import { runRoutes } from './runs/routes.ts';
import { userRoutes } from './users/routes.ts';
import { inboxRoutes } from './inbox/routes.ts';
import { leadRoutes } from './leads/routes.ts';
import { smsRoutes } from './sms/routes.ts';
import { messagingRoutes } from './messaging/routes.ts';
import { reminderRoutes } from './reminders/routes.ts';
import { calendarRoutes } from './calendar/routes.ts';
import { availabilityRoutes } from './calendar/availability.ts';
import { calendarConnectionRoutes } from './calendar/connections.ts';
import { leadActivityRoutes } from './leads/activities.ts';
import { pipelineRoutes } from './leads/pipelines.ts';
import { leadScoreRoutes } from './leads/score.ts';
import { companyRoutes } from './companies/routes.ts';
import { analyticsRoutes } from './analytics/routes.ts';
import { createScoreAdvisor } from '../providers/llm/scoreAdvisor.ts';
import { knowledgeRoutes } from './knowledge/routes.ts';
import { integrationRoutes } from './integrations/routes.ts';
import { voiceRoutes } from './voice/routes.ts';
import { twilioVoiceRoutes } from './voice/twilio.ts';
import { automationRoutes } from './automations/routes.ts';
import { campaignRoutes } from './automations/campaigns.ts';
import { automationWebhookRoutes } from './automations/webhook.ts';
import { createSpeech } from '../providers/llm/speech.ts';
import { createEmbeddingProvider } from '../providers/embeddings/index.ts';
import { leadImportExportRoutes } from './leads/importExport.ts';
import { tenantRoutes } from './tenant/routes.ts';
import { webhookRoutes } from './webhooks/routes.ts';
import { createSecretBox } from '../lib/crypto.ts';
import { createStartMarks } from './startMarks.ts';
import { directSql } from '../lib/directSql.ts';

export const API_PREFIX = '/api/v1';
export const API_VERSION = '0.1.0';

/** Every route of the API, in the order the docs list them. */
export const routes: RouteDef[] = [
  ...healthRoutes,
  ...authRoutes,
  ...tenantRoutes,
  ...userRoutes,
  ...contactRoutes,
  // Before leadRoutes: `/crm/leads/analytics/…` and `/crm/leads/export` are not lead ids.
  ...analyticsRoutes,
  ...leadImportExportRoutes,
  ...leadRoutes,
  ...inboxRoutes,
  ...smsRoutes,
  ...messagingRoutes,
  ...reminderRoutes,
  ...calendarRoutes,
  ...availabilityRoutes,
  ...calendarConnectionRoutes,
  ...leadActivityRoutes,
  ...pipelineRoutes,
  ...leadScoreRoutes,
  ...companyRoutes,
  ...knowledgeRoutes,
  ...integrationRoutes,
  ...voiceRoutes,
  ...twilioVoiceRoutes,
  ...automationRoutes,
  ...campaignRoutes,
  ...automationWebhookRoutes,
  ...webhookRoutes,
  ...runRoutes,
];

/**
 * Builds the Koa app from its dependencies. Order matters: the request id and the
 * error envelope wrap everything; the token is read before rate limiting (limits are
 * per user) and before idempotency (keys are scoped per user).
 */
export function buildApp(
  input: Omit<AppDeps, 'secrets' | 'limiters' | 'startMarks' | 'scoreAdvisor' | 'sql' | 'embeddings' | 'speech'> & {
    secrets?: AppDeps['secrets'];
    limiters?: AppDeps['limiters'];
    scoreAdvisor?: AppDeps['scoreAdvisor'];
    sql?: AppDeps['sql'];
    embeddings?: AppDeps['embeddings'];
    speech?: AppDeps['speech'];
  },
  /** The API's routes: all of them, unless a test mounts others beside them. */
  defs: RouteDef[] = routes,
) {
  const deps: AppDeps = {
    ...input,
    secrets: input.secrets ?? createSecretBox(input.config.encryption),
    limiters: input.limiters ?? createLimiters(input.config.rateLimit, input.config.database.url),
    startMarks: createStartMarks(input.orm, input.log),
    sql: input.sql ?? directSql(input.orm),
    scoreAdvisor: input.scoreAdvisor === undefined ? createScoreAdvisor(input.config.llm) : input.scoreAdvisor,
    embeddings: input.embeddings ?? createEmbeddingProvider(input.config.embeddings),
    speech: input.speech === undefined ? createSpeech(input.config.speech) : input.speech,
  };
  const app = new Koa<AppState, AppContextExtras>();
  app.proxy = deps.config.http.trustProxy;
  // Only as many X-Forwarded-For entries as there are proxies of ours: the rest is what the client wrote.
  app.maxIpsCount = deps.config.http.trustProxyHops;
  app.silent = true; // errors are logged once, by errorHandler, with the request id
  app.context.deps = deps;
  const metrics = deps.config.metrics.enabled ? httpMetrics() : undefined;
  const openApi = buildOpenApi(defs, { title: 'AI Secretary API', version: API_VERSION, prefix: API_PREFIX });

  const api = new Router({ prefix: API_PREFIX });
  mountRoutes(api, defs);
  api.get('/openapi.json', (ctx) => {
    ctx.body = openApi;
  });

  const root = new Router();
  root.get('/', (ctx) => {
    ctx.body = {
      name: 'AI Secretary API',
      version: API_VERSION,
      description: 'Multi-tenant automation backend for AI secretaries and small-business CRMs.',
      docs: `${API_PREFIX}/docs`,
      openapi: `${API_PREFIX}/openapi.json`,
      health: `${API_PREFIX}/health`,
      temporal_ui: deps.config.temporal.uiUrl,
    };
  });
  if (metrics) {
    root.get(deps.config.metrics.path, async (ctx) => {
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
    });
  }

  app.use(requestId());
  // Off means off: no series, no timers, nothing per request.
  if (metrics) app.use(metrics.middleware);
  app.use(requestLog());
  app.use(errorHandler());
  app.use(authenticate(deps.config.auth));
  app.use(rateLimit(deps.limiters, API_PREFIX, deps.config.metrics.path));
  app.use(
    parseBody(
      bodyParser({
        enableTypes: ['json', 'form'],
        jsonLimit: deps.config.http.bodyLimit,
        formLimit: deps.config.http.bodyLimit,
        // Only objects and arrays: a bare string or number is never a valid body here.
        jsonStrict: true,
      }),
    ),
  );
  app.use(inputGuard());
  app.use(idempotency(API_PREFIX, { abandonedAfterMs: deps.config.http.idempotencyAbandonedAfterMs, uploadLimit: uploadLimits(API_PREFIX, defs, deps.config) }));
  app.use(root.routes());
  app.use(docsRouter(API_PREFIX, `${API_PREFIX}/openapi.json`).routes());
  app.use(api.routes());
  app.use(api.allowedMethods());
  return app;
}
