import type { Middleware } from 'koa';
import { badRequest, validationError, type FieldIssue } from '../../lib/errors.ts';
import type { AppContextExtras, AppState } from '../context.ts';

/** Deeper than any body this API accepts; deeper still would exhaust the stack of JSON tools downstream. */
export const MAX_DEPTH = 32;

/**
 * Refuses, before any handler runs, input that PostgreSQL or JSON tooling cannot hold:
 * nesting deeper than MAX_DEPTH, U+0000 (text columns refuse it) and lone surrogates
 * (not valid UTF-8, jsonb refuses them). Walks iteratively, so hostile depth cannot
 * overflow the stack here either. Reports the first offending fields by path.
 */
export function findBadInput(root: unknown, prefix: string): { tooDeep: boolean; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: prefix, depth: 0 }];
  while (stack.length && issues.length < 10) {
    const { value, path, depth } = stack.pop()!;
    if (depth > MAX_DEPTH) return { tooDeep: true, issues };
    if (typeof value === 'string') {
      if (value.includes('\u0000')) issues.push({ field: path, message: 'must not contain NUL characters', code: 'invalid_string' });
      else if (!value.isWellFormed()) issues.push({ field: path, message: 'must be valid Unicode text', code: 'invalid_string' });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key.includes('\u0000') || !key.isWellFormed()) issues.push({ field: path, message: 'has an invalid key', code: 'invalid_key' });
        stack.push({ value: child, path: `${path}.${key}`, depth: depth + 1 });
      }
    }
  }
  return { tooDeep: false, issues };
}

export function inputGuard(): Middleware<AppState, AppContextExtras> {
  return async (ctx, next) => {
    for (const [where, value] of [['query', ctx.query], ['body', ctx.request.body]] as const) {
      const { tooDeep, issues } = findBadInput(value, where);
      if (tooDeep) throw badRequest(`Request ${where} is nested more than ${MAX_DEPTH} levels deep`);
      if (issues.length) throw validationError(`Invalid ${where}`, issues);
    }
    await next();
  };
}

/**
 * The body parser, isolated: its own failures are the client's (bad JSON, too large,
 * a bad Content-Encoding or truncated gzip, which zlib reports without an HTTP status),
 * and none of them may surface as a 500. Errors from handlers further down pass untouched.
 */
export function parseBody(parser: Middleware<AppState, AppContextExtras>): Middleware<AppState, AppContextExtras> {
  return async (ctx, next) => {
    try {
      await parser(ctx, async () => {});
    } catch (err) {
      const e = err as { status?: number; statusCode?: number };
      const status = e.status ?? e.statusCode;
      if (status !== undefined && status < 500) throw err;
      throw badRequest('Request body could not be decoded (check Content-Encoding and charset)');
    }
    await next();
  };
}
