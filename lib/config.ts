import { z } from 'zod';
import { parseKey } from './crypto.ts';
import { parseOutboundPolicy } from './outbound.ts';
import { DEFAULT_WEBHOOK_SCHEDULE, parseDuration, parseSchedule } from './retrySchedule.ts';

/** Env values arrive as strings; these helpers give each one a clear rule and default. */
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
/** A value read by one of lib/'s parsers; what it throws becomes the variable's problem line. */
const parsedBy = <T>(parse: (value: string) => T) =>
  z.string().transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
  PORT: port(3000),
  PUBLIC_BASE_URL: optionalString.pipe(z.url().optional()),

  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }),
  DATABASE_POOL_MAX: positiveInt(10),
  // false: the hot path's statements go through the simple protocol (a PgBouncer in transaction mode before 1.21).
  DATABASE_PREPARED_STATEMENTS: flag(true),
  /**
   * The worker's own pool: it runs up to 100 activities at once, and with the API's 10 a
   * burst of due reminders queued for connections (bench:reminders: 0.49× → 0.63× at 20).
   */
  // Two at least: a reminder's send through Twilio or SMTP holds one for its row lock and needs another.
  WORKER_DATABASE_POOL_MAX: z.coerce.number().int().min(2).default(25),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('ai-secretary'),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: flag(false),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_UI_URL: z.string().default('http://localhost:8233'),
  WORKFLOW_BUNDLE_PATH: optionalString,

  JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
  JWT_ACCESS_TTL_SECONDS: positiveInt(3600),
  JWT_REFRESH_TTL_DAYS: positiveInt(30),

  ENCRYPTION_KEY: parsedBy(parseKey),
  ENCRYPTION_KEYS: parsedBy((v) => v.split(',').map((k) => k.trim()).filter(Boolean).map(parseKey)).default([]),
  OUTBOUND_ALLOWED_HOSTS: parsedBy(parseOutboundPolicy).default({ allowed: [] }),

  RATE_LIMIT_AUTH_PER_MINUTE: positiveInt(10),
  RATE_LIMIT_PER_MINUTE: positiveInt(100),
  BODY_LIMIT: z.string().default('1mb'),
  IDEMPOTENCY_ABANDONED_AFTER_MS: positiveInt(30_000),
  TRUST_PROXY: flag(false),
  TRUST_PROXY_HOPS: positiveInt(1),
  RATE_LIMIT_STORE: z.enum(['postgres', 'memory']).default('postgres'),
  LOGIN_FAILURES_PER_EMAIL: positiveInt(5),
  LOGIN_FAILURE_WINDOW_MINUTES: positiveInt(15),

  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.pipe(z.url().optional()),
  OPENAI_MODEL: z.string().default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: positiveInt(20_000),
  /** Speech on AI calls (with OPENAI_API_KEY): the transcription model, the speech model and its voice. */
  OPENAI_TRANSCRIBE_MODEL: z.string().default('whisper-1'),
  OPENAI_SPEECH_MODEL: z.string().default('tts-1'),
  OPENAI_SPEECH_VOICE: z.enum(['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse']).default('alloy'),
  /** An OpenAI-compatible embeddings model (with OPENAI_API_KEY and OPENAI_BASE_URL) for the knowledge base. */
  EMBEDDINGS_MODEL: optionalString,
  /** A local ONNX sentence-model folder (@huggingface/transformers), when no API model is set. */
  EMBEDDINGS_MODEL_PATH: optionalString,
  /** The vector size of an API model OpenAI does not list (other compatible servers). */
  EMBEDDINGS_DIMENSIONS: z.coerce.number().int().positive().max(4096).optional(),
  /** The largest knowledge-base upload or fetched page. */
  KNOWLEDGE_MAX_BYTES: positiveInt(10 * 1024 * 1024),
  KNOWLEDGE_FETCH_TIMEOUT_MS: positiveInt(15_000),
  /** Triage drafts a reply only from passages at least this similar to the message. */
  KNOWLEDGE_DRAFT_MIN_SIMILARITY: z.coerce.number().min(0).max(1).default(0.5),
  TRIAGE_CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.6),
  TRIAGE_REVIEW_TIMEOUT_HOURS: z.coerce.number().positive().default(72),

  TWILIO_ACCOUNT_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  /** The platform account's sending number (seed 002), when a tenant has none of its own. */
  TWILIO_PHONE_NUMBER: optionalString,
  /** Another base URL for Twilio's REST API (the tests' fake Twilio); unset: Twilio. */
  TWILIO_API_URL: optionalString.pipe(z.url().optional()),
  /** Waits before sending again after a transient undelivery (30003 unreachable, …). */
  SMS_RETRY_SCHEDULE: parsedBy(parseSchedule).default(parseSchedule('1m,10m')),
  /** How long a send waits for Twilio's delivery verdict before it stops listening. */
  SMS_DELIVERY_WAIT: parsedBy(parseDuration).default(parseDuration('15m')),
  /** One request to Twilio (or an SMTP wait); a send step lost with its worker is retried twice this plus 10 s later (lib/smsDelivery.ts sendStepTimeoutMs). */
  SMS_SEND_TIMEOUT_MS: positiveInt(15_000),
  /** Automation runs running at once per tenant; an event or execute past it is refused. */
  AUTOMATION_MAX_ACTIVE_RUNS: positiveInt(1_000),
  /** A tenant's campaign sends per second: the default and the most a campaign may ask for. */
  CAMPAIGN_SENDS_PER_SECOND: positiveInt(10),
  /** Contacts per campaign batch (one activity, its progress committed every 25). */
  CAMPAIGN_BATCH_SIZE: positiveInt(200),
  /** How many automation runs may lead to one another through their events (a chain stops there). */
  AUTOMATION_MAX_DEPTH: positiveInt(3),
  /** Waits before calling again after busy or no answer (inside the calling hours); the last repeats. */
  VOICE_RETRY_SCHEDULE: parsedBy(parseSchedule).default(parseSchedule('10m,1h')),
  /** A ringing or quiet phone call is checked with Twilio after this long without news (a lost callback). */
  VOICE_LINE_CHECK: parsedBy(parseDuration).default(parseDuration('2m')),
  /** How long an outbound call rings before it counts as no answer. */
  VOICE_RING_SECONDS: positiveInt(30),
  // Seed 002 names the host SMTP_SERVER; SMTP_HOST is accepted too.
  SMTP_SERVER: optionalString,
  SMTP_HOST: optionalString,
  SMTP_PORT: port(587),
  SMTP_USERNAME: optionalString,
  SMTP_PASSWORD: optionalString,
  SMTP_FROM: optionalString,
  SMTP_SECURE: flag(false),

  // Google Calendar (seed 002's names). The URLs point the real client elsewhere (the tests' fake).
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  GOOGLE_REDIRECT_URI: optionalString.pipe(z.url().optional()),
  GOOGLE_API_URL: optionalString.pipe(z.url().optional()),
  GOOGLE_OAUTH_URL: optionalString.pipe(z.url().optional()),
  CALENDAR_SYNC_INTERVAL: parsedBy(parseDuration).default(parseDuration('5m')),
  CALENDAR_SYNC_PAGE_SIZE: positiveInt(250),

  // CRM integrations. The URLs point the real clients elsewhere (a sandbox, the tests' fakes).
  SALESFORCE_LOGIN_URL: optionalString.pipe(z.url().optional()),
  SALESFORCE_API_VERSION: z.string().regex(/^\d{2}\.0$/, 'must look like 62.0').default('62.0'),
  SALESFORCE_CLIENT_ID: optionalString,
  SALESFORCE_CLIENT_SECRET: optionalString,
  HUBSPOT_API_URL: optionalString.pipe(z.url().optional()),
  CRM_SYNC_PAGE_SIZE: positiveInt(2_000),
  CRM_SYNC_OVERLAP: parsedBy(parseDuration).default(parseDuration('2m')),

  // CSV lead import (POST /crm/leads/import): the largest file taken, and rows per transaction.
  LEAD_IMPORT_MAX_BYTES: positiveInt(50 * 1024 * 1024),
  LEAD_IMPORT_BATCH_ROWS: positiveInt(500),

  WEBHOOK_TIMEOUT_MS: positiveInt(15_000),
  WEBHOOK_RETRY_SCHEDULE: parsedBy(parseSchedule).default(parseSchedule(DEFAULT_WEBHOOK_SCHEDULE)),
  WEBHOOK_DISABLE_AFTER: parsedBy(parseDuration).default(parseDuration('5d')),
  WEBHOOK_BREAKER_FAILURES: positiveInt(5),
  OUTBOX_RELAY: flag(true),
  OUTBOX_POLL_MS: positiveInt(2_000),
  OUTBOX_START_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  HOUSEKEEPING_INTERVAL_MS: positiveInt(60_000),

  METRICS_ENABLED: flag(true),
  METRICS_PATH: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'must be a path such as /metrics').default('/metrics'),
  WORKER_METRICS_PORT: port(9464),
});

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function toConfig(env: z.infer<typeof envSchema>) {
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: {
      host: env.HOST,
      port: env.PORT,
      publicBaseUrl: env.PUBLIC_BASE_URL,
      bodyLimit: env.BODY_LIMIT,
      /** An Idempotency-Key claimed this long ago with no answer is a dead request's: a retry may take it over. */
      idempotencyAbandonedAfterMs: env.IDEMPOTENCY_ABANDONED_AFTER_MS,
      trustProxy: env.TRUST_PROXY,
      /** Proxies in front of the API: X-Forwarded-For entries beyond these are the client's own words. */
      trustProxyHops: env.TRUST_PROXY_HOPS,
    },
    database: { url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX, workerPoolMax: env.WORKER_DATABASE_POOL_MAX, preparedStatements: env.DATABASE_PREPARED_STATEMENTS },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      apiKey: env.TEMPORAL_API_KEY,
      tls: env.TEMPORAL_TLS || env.TEMPORAL_API_KEY !== undefined,
      tlsCertPath: env.TEMPORAL_TLS_CERT_PATH,
      tlsKeyPath: env.TEMPORAL_TLS_KEY_PATH,
      uiUrl: env.TEMPORAL_UI_URL,
      workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
    },
    auth: {
      jwtSecret: env.JWT_SECRET,
      accessTtlSeconds: env.JWT_ACCESS_TTL_SECONDS,
      refreshTtlDays: env.JWT_REFRESH_TTL_DAYS,
    },
    rateLimit: {
      authPerMinute: env.RATE_LIMIT_AUTH_PER_MINUTE,
      perMinute: env.RATE_LIMIT_PER_MINUTE,
      store: env.RATE_LIMIT_STORE,
      loginFailuresPerEmail: env.LOGIN_FAILURES_PER_EMAIL,
      loginFailureWindowSeconds: env.LOGIN_FAILURE_WINDOW_MINUTES * 60,
    },
    metrics: { enabled: env.METRICS_ENABLED, path: env.METRICS_PATH, workerPort: env.WORKER_METRICS_PORT },
    llm: {
      apiKey: env.OPENAI_API_KEY,
      baseURL: env.OPENAI_BASE_URL,
      model: env.OPENAI_MODEL,
      timeoutMs: env.OPENAI_TIMEOUT_MS,
    },
    speech: {
      apiKey: env.OPENAI_API_KEY,
      baseURL: env.OPENAI_BASE_URL,
      timeoutMs: env.OPENAI_TIMEOUT_MS,
      transcribeModel: env.OPENAI_TRANSCRIBE_MODEL,
      speechModel: env.OPENAI_SPEECH_MODEL,
      voice: env.OPENAI_SPEECH_VOICE,
    },
    embeddings: {
      apiKey: env.OPENAI_API_KEY,
      baseURL: env.OPENAI_BASE_URL,
      model: env.EMBEDDINGS_MODEL,
      modelPath: env.EMBEDDINGS_MODEL_PATH,
      dimension: env.EMBEDDINGS_DIMENSIONS,
      timeoutMs: env.OPENAI_TIMEOUT_MS,
    },
    knowledge: { maxBytes: env.KNOWLEDGE_MAX_BYTES, fetchTimeoutMs: env.KNOWLEDGE_FETCH_TIMEOUT_MS, draftMinSimilarity: env.KNOWLEDGE_DRAFT_MIN_SIMILARITY },
    triage: {
      confidenceThreshold: env.TRIAGE_CONFIDENCE_THRESHOLD,
      reviewTimeoutSeconds: Math.round(env.TRIAGE_REVIEW_TIMEOUT_HOURS * 3600),
    },
    google: {
      clientId: env.GOOGLE_CLIENT_ID,
      clientSecret: env.GOOGLE_CLIENT_SECRET,
      redirectUri: env.GOOGLE_REDIRECT_URI,
      apiUrl: env.GOOGLE_API_URL,
      oauthUrl: env.GOOGLE_OAUTH_URL,
      syncIntervalMs: env.CALENDAR_SYNC_INTERVAL,
      pageSize: env.CALENDAR_SYNC_PAGE_SIZE,
    },
    crm: {
      salesforce: { loginUrl: env.SALESFORCE_LOGIN_URL, apiVersion: env.SALESFORCE_API_VERSION, clientId: env.SALESFORCE_CLIENT_ID, clientSecret: env.SALESFORCE_CLIENT_SECRET },
      hubspot: { apiUrl: env.HUBSPOT_API_URL },
      pageSize: env.CRM_SYNC_PAGE_SIZE,
      overlapMs: env.CRM_SYNC_OVERLAP,
    },
    leadImport: { maxBytes: env.LEAD_IMPORT_MAX_BYTES, batchRows: env.LEAD_IMPORT_BATCH_ROWS },
    twilio: { accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, phoneNumber: env.TWILIO_PHONE_NUMBER, apiUrl: env.TWILIO_API_URL },
    automations: { maxActiveRuns: env.AUTOMATION_MAX_ACTIVE_RUNS, maxDepth: env.AUTOMATION_MAX_DEPTH },
    campaigns: { sendsPerSecond: env.CAMPAIGN_SENDS_PER_SECOND, batchSize: env.CAMPAIGN_BATCH_SIZE },
    voice: { retryScheduleMs: env.VOICE_RETRY_SCHEDULE, lineCheckMs: env.VOICE_LINE_CHECK, ringSeconds: env.VOICE_RING_SECONDS },
    sms: { retryScheduleMs: env.SMS_RETRY_SCHEDULE, deliveryWaitMs: env.SMS_DELIVERY_WAIT, sendTimeoutMs: env.SMS_SEND_TIMEOUT_MS },
    smtp: (env.SMTP_HOST ?? env.SMTP_SERVER)
      ? { host: (env.SMTP_HOST ?? env.SMTP_SERVER) as string, port: env.SMTP_PORT, secure: env.SMTP_SECURE || env.SMTP_PORT === 465, user: env.SMTP_USERNAME, password: env.SMTP_PASSWORD }
      : null,
    emailFrom: env.SMTP_FROM ?? env.SMTP_USERNAME ?? 'AI Secretary <no-reply@localhost>',
    encryption: { current: env.ENCRYPTION_KEY, previous: env.ENCRYPTION_KEYS },
    outbound: env.OUTBOUND_ALLOWED_HOSTS,
    webhooks: {
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      disableAfterMs: env.WEBHOOK_DISABLE_AFTER,
      /** After this many failed attempts in a row, an endpoint's new deliveries wait (paused) while one probes. */
      breakerFailures: env.WEBHOOK_BREAKER_FAILURES,
      /** What every delivery workflow is started with. */
      plan: { scheduleMs: env.WEBHOOK_RETRY_SCHEDULE, attemptTimeoutMs: env.WEBHOOK_TIMEOUT_MS + 5_000 },
    },
    outbox: { relay: env.OUTBOX_RELAY, pollMs: env.OUTBOX_POLL_MS, startGraceMs: env.OUTBOX_START_GRACE_MS, housekeepingMs: env.HOUSEKEEPING_INTERVAL_MS },
  };
}

/**
 * Parses the environment once at start-up. Every bad or missing value is reported
 * together, by name, so an operator fixes them in one go rather than one per restart.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(withSealingKey(env));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        // zod reports a missing value as "expected string, received undefined".
        const missing = issue.code === 'invalid_type' && env[name] === undefined;
        return missing ? `${name} is required` : `${name}: ${issue.message}`;
      }),
    );
  }
  return toConfig(parsed.data);
}

/** ENCRYPTION_KEYS alone works too: its first key seals, all of them open. */
function withSealingKey(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.ENCRYPTION_KEY || !env.ENCRYPTION_KEYS?.trim()) return env;
  const [first, ...rest] = env.ENCRYPTION_KEYS.split(',').map((k) => k.trim()).filter(Boolean);
  return { ...env, ENCRYPTION_KEY: first, ENCRYPTION_KEYS: rest.join(',') };
}

/**
 * For process entry points: the config, or the list of problems on stderr and exit 78
 * (EX_CONFIG) — a misconfiguration is an operator's message, not a stack trace.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
}
