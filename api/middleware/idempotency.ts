import { createHash } from 'node:crypto';
import type { Middleware, ParameterizedContext } from 'koa';
import getRawBody from 'raw-body';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { systemEm, type EntityManager } from '../../lib/db.ts';
import { badRequest, conflict, payloadTooLarge } from '../../lib/errors.ts';
import { multipartDigest } from '../../lib/multipartDigest.ts';
import { IdempotencyKeySchema } from '../../entities/IdempotencyKey.ts';
import type { SecretBox } from '../../lib/crypto.ts';
import type { AppContext, AppContextExtras, AppState } from '../context.ts';

const TTL_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The bytes an upload to a path may hold, where a route takes one (api/multipart.ts uploadLimits). */
type UploadLimit = (method: string, path: string) => number | undefined;

export interface IdempotencyOptions {
  /**
   * A claim with no response after this long (IDEMPOTENCY_ABANDONED_AFTER_MS, 30 s) belongs
   * to a request whose process died; a retry may take it over. The work it guarded must then
   * be idempotent by its own key, found again by the retry (api/startWork.ts madeOnce): an
   * inbox message's external_id or, without one, this key as its `request_key`; an outgoing
   * text or email's `idempotency_key`, a calendar event's `dedupe_key`, and the
   * `request_key` of a reminder, an automation run, a campaign, a call, a webhook endpoint,
   * a knowledge document and a lead import (so a retry never texts, calls, delivers, indexes
   * or imports twice); a workflow ID. Routes whose whole effect is their writes (a contact,
   * a lead, a note, an automation...) store their answer in the transaction of their work
   * instead (`answerWithWork` in api/routing.ts, storeAnswerWithWork below), so their work
   * is never committed without its answer, and a claim taken over never had any.
   */
  abandonedAfterMs: number;
  uploadLimit: UploadLimit;
}

/**
 * `Idempotency-Key` on POST (API.md): the first response to a key is stored; the same
 * key with the same body within 24 h gets that response again and no second piece of
 * work; the same key with another body is a 409. The key row is claimed before the
 * handler runs (a unique insert), so two concurrent retries cannot both do the work.
 */
export function idempotency(prefix: string, { abandonedAfterMs, uploadLimit }: IdempotencyOptions): Middleware<AppState, AppContextExtras> {
  return async (ctx, next) => {
    const key = ctx.get('Idempotency-Key');
    // Auth answers carry tokens, which must not rest in a table in plain text; a repeated
    // register is refused as a DUPLICATE instead, and login/refresh have nothing to dedupe.
    if (ctx.method !== 'POST' || !key || ctx.path.startsWith(`${prefix}/auth/`)) return next();
    if (!KEY_PATTERN.test(key)) throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters');

    const scope = ctx.state.user ? `user:${ctx.state.user.sub}` : `ip:${ctx.ip}`;
    const requestHash = createHash('sha256')
      // The raw bytes, not a re-serialisation: cheaper, and safe for any body the parser took.
      .update(`${ctx.method} ${ctx.path}\n${await bodyIdentity(ctx, uploadLimit)}`)
      .digest('hex');
    const em = systemEm(ctx.deps.orm);
    await em.nativeDelete(IdempotencyKeySchema, {
      scope,
      key,
      $or: [{ expiresAt: { $lt: new Date() } }, { responseStatus: null, createdAt: { $lt: new Date(Date.now() - abandonedAfterMs) } }],
    });

    const claim = em.create(IdempotencyKeySchema, {
      scope,
      key,
      method: ctx.method,
      path: ctx.path.slice(0, 500),
      requestHash,
      responseBody: null,
      expiresAt: new Date(Date.now() + TTL_MS),
    });
    try {
      await em.flush();
    } catch (err) {
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      const first = await systemEm(ctx.deps.orm).findOneOrFail(IdempotencyKeySchema, { scope, key });
      if (first.requestHash !== requestHash) {
        throw conflict('This Idempotency-Key was already used with a different request', { idempotency_key: key });
      }
      if (first.responseStatus === null || first.responseStatus === undefined) {
        throw conflict('A request with this Idempotency-Key is still being processed; retry shortly', { idempotency_key: key });
      }
      ctx.status = first.responseStatus;
      ctx.body = storedAnswer(ctx.deps.secrets, first.responseBody, key);
      ctx.set('Idempotent-Replayed', 'true');
      return;
    }

    // For work that must be idempotent by this key itself (an inbox message with no id of its
    // own): the key, hashed with its caller, goes into the row the work writes.
    // With the body's hash too: the same key reused for another message after it expired is another message.
    ctx.state.idempotencyRef = createHash('sha256').update(`${scope}\n${key}\n${requestHash}`).digest('hex');
    ctx.state.idempotencyClaim = claim.id;
    const release = () => em.nativeDelete(IdempotencyKeySchema, { id: claim.id });
    try {
      await next();
    } catch (err) {
      // A refused request did no work: the key is released so a corrected retry can use it.
      // (An answer committed with its work stays, whatever failed after it.)
      if (!ctx.state.answerCommitted) await release();
      throw err;
    }
    if (ctx.state.answerCommitted) return;
    // Nothing to replay (a 5xx, or an answer the error handler has yet to write): release the key.
    if (ctx.status >= 500 || ctx.body === undefined || ctx.body === null) {
      await release();
      return;
    }
    try {
      await em.nativeUpdate(IdempotencyKeySchema, { id: claim.id }, storedForm(ctx));
    } catch (err) {
      // The work is done and answered; failing to remember the answer must not turn it into a 500.
      ctx.state.log.warn({ err, key }, 'could not store the idempotent response; releasing the key');
      await release().catch(() => undefined);
    }
  };
}

/**
 * What the request's body is, for its hash: the raw text the JSON and form parsers keep,
 * or for an upload (which no parser reads before its handler), the multipart body read
 * here, kept for api/multipart.ts to parse, and digested without its boundary. An upload is
 * read only for a signed-in caller (every route that takes one needs a user) on a route
 * that takes one, and no further than that route's limit.
 */
async function bodyIdentity(ctx: ParameterizedContext<AppState, AppContextExtras>, uploadLimit: UploadLimit): Promise<string> {
  const limit = ctx.is('multipart/form-data') && ctx.state.user ? uploadLimit(ctx.method, ctx.path) : undefined;
  if (limit === undefined) return ctx.request.rawBody ?? '';
  try {
    ctx.state.uploadBody = await getRawBody(ctx.req, { limit, length: ctx.request.length });
  } catch (err) {
    // The rest of the upload is read off and dropped, so the connection can carry the answer and the next request.
    ctx.req.resume();
    if ((err as { type?: string }).type === 'entity.too.large') throw payloadTooLarge(`The upload is larger than this route takes (${limit} bytes with its form)`);
    throw badRequest(`Could not read the upload: ${(err as Error).message}`);
  }
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(ctx.get('content-type'));
  return `multipart ${multipartDigest(ctx.state.uploadBody, boundary?.[1] ?? boundary?.[2] ?? '')}`;
}

/** What an answer rests as (sealed: some carry a secret shown once). */
const storedForm = (ctx: Pick<AppContext, 'status' | 'body' | 'deps'>) => ({ responseStatus: ctx.status, responseBody: { sealed: ctx.deps.secrets.seal(JSON.stringify(ctx.body)) } });

/**
 * Stores the request's answer through `em`, inside the transaction that commits its work,
 * so the two commit together: an API that dies before that commit leaves neither (the
 * retry does the work once), one that dies after it leaves the answer to replay. The claim
 * must still be this request's: taken over by a retry (this request ran past
 * abandonedAfterMs), the work is refused and rolled back, as the retry does it. True
 * when an answer was stored.
 */
export async function storeAnswerWithWork(ctx: AppContext, em: EntityManager): Promise<boolean> {
  const claim = ctx.state.idempotencyClaim;
  // No answer to keep: the middleware releases the key once the request ends, as for any such answer.
  if (!claim || ctx.body === undefined || ctx.body === null) return false;
  const stored = await em.nativeUpdate(IdempotencyKeySchema, { id: claim, responseStatus: null }, storedForm(ctx));
  if (stored !== 1) throw conflict('A retry of this request took over its Idempotency-Key; this try was undone', { idempotency_key: ctx.get('Idempotency-Key') });
  return true;
}

/**
 * A stored answer, as it was first sent. Answers are sealed at rest (lib/crypto.ts): some
 * carry a secret shown once, such as a new webhook's signing secret. Rows stored before
 * that hold the answer as it was.
 */
function storedAnswer(secrets: SecretBox, stored: unknown, key: string): unknown {
  const sealed = (stored as { sealed?: unknown } | null)?.sealed;
  if (typeof sealed !== 'string') return stored;
  try {
    return JSON.parse(secrets.open(sealed));
  } catch {
    // Sealed with a key since retired (ENCRYPTION_KEYS): the answer is gone, not the work.
    throw conflict('This Idempotency-Key was used, and its stored answer can no longer be read; send the request with a new key', { idempotency_key: key });
  }
}
