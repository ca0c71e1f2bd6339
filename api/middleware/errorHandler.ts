import type { Middleware } from 'koa';
import { UniqueConstraintViolationException, NotFoundError, ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ZodError } from 'zod';
import { AppError, conflict, duplicate, notFound, payloadTooLarge, badRequest, unsupportedMediaType, validationError } from '../../lib/errors.ts';
import type { AppContextExtras, AppState } from '../context.ts';
import { zodIssuesToFields } from '../validation.ts';

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** Translates anything thrown below into an AppError; unknown errors become a bare 500. */
export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return validationError('Request is not valid', zodIssuesToFields(err));
  if (err instanceof UniqueConstraintViolationException) return duplicate('A resource with these values already exists');
  if (err instanceof ForeignKeyConstraintViolationException) return conflict('The change conflicts with related records (still referenced, or referring to one that is gone)');
  if (err instanceof NotFoundError || err instanceof WorkflowNotFoundError) return notFound();
  const e = (err ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode;
  // Errors raised by the body parser and koa itself carry an HTTP status.
  if (e.type === 'entity.too.large' || status === 413) return payloadTooLarge();
  if ((err instanceof SyntaxError && status === 400) || e.type === 'entity.parse.failed' || e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    return badRequest('Request body is not valid JSON');
  }
  if (status === 415) return unsupportedMediaType(e.message ?? 'Unsupported content type');
  if (status !== undefined && status >= 400 && status < 500) return badRequest(e.expose && e.message ? e.message : 'Bad request');
  return null;
}

/**
 * The single place that shapes errors (API.md): every failure, whatever raised it,
 * leaves as `{error: {code, message, details, request_id}}`. Stack traces and SQL
 * stay in the log, never in the body.
 */
export function errorHandler(): Middleware<AppState, AppContextExtras> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw notFound('Route');
      // @koa/router answers 405 for a known path with another method, 501 for a method it does not know at all.
      if ((ctx.status === 405 || ctx.status === 501) && ctx.body === undefined) {
        throw new AppError('NOT_FOUND', 405, `Method ${ctx.method} is not allowed on ${ctx.path}`);
      }
    } catch (err) {
      const appError = toAppError(err);
      if (!appError) ctx.state.log.error({ err }, 'unhandled error');
      const e = appError ?? new AppError('INTERNAL_ERROR', 500, 'Something went wrong on our side');
      ctx.status = e.status;
      for (const [name, value] of Object.entries(e.headers)) ctx.set(name, value);
      ctx.body = { error: { code: e.code, message: e.message, details: e.details, request_id: ctx.state.requestId } };
    }
  };
}
