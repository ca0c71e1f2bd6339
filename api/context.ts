import type { ParameterizedContext } from 'koa';
import type {} from '@koa/bodyparser';
import type { Client } from '@temporalio/client';
import type { EntityManager, MikroORM } from '../lib/db.ts';
import type { Config } from '../lib/config.ts';
import type { Logger } from '../lib/logger.ts';
import type { Role } from '../entities/User.ts';
import type { SecretBox } from '../lib/crypto.ts';
import type { Limiters } from './middleware/rateLimit.ts';
import type { StartMarks } from './startMarks.ts';
import type { StoredCaller } from './storedCaller.ts';
import type { DirectSql } from '../lib/directSql.ts';

/** What the app is built from; tests pass their own (another task queue, a short TTL). */
import type { ScoreAdvisor } from '../providers/llm/scoreAdvisor.ts';
import type { Speech } from '../providers/llm/speech.ts';
import type { EmbeddingProvider } from '../providers/embeddings/types.ts';

export interface AppDeps {
  config: Config;
  orm: MikroORM;
  temporal: Client;
  log: Logger;
  /** Seals provider secrets and webhook secrets at rest (lib/crypto.ts). */
  secrets: SecretBox;
  /** Rate-limit counters (api/middleware/rateLimit.ts); in PostgreSQL unless RATE_LIMIT_STORE=memory. */
  limiters: Limiters;
  /** Start rows' "started" marks, written in batches (api/startMarks.ts). */
  startMarks: StartMarks;
  /** Statements on the hottest paths, straight to the ORM's pool (lib/directSql.ts); the bench records them. */
  sql: DirectSql;
  /** The model that adds lead-scoring factors, when an LLM key is configured (providers/llm/scoreAdvisor.ts). */
  scoreAdvisor: ScoreAdvisor | null;
  /** Embeds search queries with the model the worker indexes with (providers/embeddings). */
  embeddings: EmbeddingProvider;
  /** Transcribes and speaks on AI calls, when an LLM key is configured (providers/llm/speech.ts). */
  speech: Speech | null;
}

/** The claims of our access tokens (koa-jwt puts them on ctx.state.user). */
export interface AccessClaims {
  sub: string;
  tenant_id: string;
  role: Role;
  email: string;
  /** The user's token version when this token was issued (absent on tokens older than versions: 0). */
  ver?: number;
  exp: number;
  iat: number;
}

export interface AppState {
  requestId: string;
  log: Logger;
  user?: AccessClaims;
  /** Set by koa-jwt in passthrough mode when a token was sent but failed to verify. */
  jwtOriginalError?: Error;
  /** sha256 of the caller, their Idempotency-Key and the body, when the request has a key (api/middleware/idempotency.ts). */
  idempotencyRef?: string;
  /** The id of the request's Idempotency-Key claim, when it has one. */
  idempotencyClaim?: string;
  /** The answer was stored with the work, in its transaction (api/routing.ts `answerWithWork`). */
  answerCommitted?: boolean;
  /** An upload's body, read by the idempotency middleware to hash it (api/multipart.ts parses it then). */
  uploadBody?: Buffer;
  /** The largest file the route takes: its `maxUploadBytes` (api/routing.ts), which readUpload holds it to. */
  uploadMaxBytes?: number;
  /** Effects waiting for the commit of a route answered with its work (api/routing.ts afterCommit). */
  afterCommit?: Array<() => Promise<void>>;
  /** The caller's stored token version, activity and role when the rate limiter read them (null: no such user). */
  storedCaller?: StoredCaller | null;
  /** The request's unit of work; tenant-filtered once the caller is authenticated. */
  em: EntityManager;
}

export interface AppContextExtras {
  deps: AppDeps;
}

/** Koa's context with our state, deps and what @koa/router adds (params, the matched route). */
export type AppContext = ParameterizedContext<AppState, AppContextExtras> & {
  params: Record<string, string>;
  _matchedRoute?: string | RegExp;
};

/** The authenticated caller, as routes use it. */
export interface Caller {
  userId: string;
  tenantId: string;
  role: Role;
  email: string;
}
