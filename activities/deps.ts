import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../lib/config.ts';
import type { TriageClassifier } from '../providers/llm/types.ts';
import type { SecretBox } from '../lib/crypto.ts';
import type { WebhookPost } from './webhooks.ts';
import type { MessagingProviders } from '../providers/messaging/index.ts';
import type { EmbeddingProvider } from '../providers/embeddings/types.ts';
import type { ReplyDrafter } from '../providers/llm/replyDrafter.ts';
import type { CallAgent } from '../providers/llm/callAgent.ts';

/**
 * Everything an activity factory may need, built once per worker process
 * (workers/activities.ts) and replaced by fakes in tests. Each factory picks its part.
 */
export interface ActivityDeps {
  orm: MikroORM;
  config: Config;
  classifier: TriageClassifier;
  fallbackClassifier: TriageClassifier;
  secrets: SecretBox;
  /** The guarded HTTP POST every webhook delivery goes through (lib/outbound.ts). */
  webhookPost: WebhookPost;
  /** Twilio (the tenant's or the platform's) or the local sink, and SMTP or the local sink. */
  messaging: MessagingProviders;
  /** The knowledge base's embedding model: an OpenAI-compatible API, a local ONNX model, or the hash fallback. */
  embeddings: EmbeddingProvider;
  /** Drafts replies from the knowledge base when an LLM key is configured. */
  drafter: ReplyDrafter | null;
  /** Speaks for the business on AI calls when an LLM key is configured. */
  callAgent: CallAgent | null;
}

/** An activity group: plain async functions keyed by activity name. */
// Activities take and return any serialisable shape; the workflow side types them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActivityGroup = Record<string, (...args: any[]) => Promise<unknown>>;
