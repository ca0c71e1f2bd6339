import { randomUUID } from 'node:crypto';
import type { TestStack } from './app.ts';
import type { Reply } from './http.ts';

/**
 * Leaves an Idempotency-Key as an API process that died after its commit leaves it: the
 * key's claim holds no answer, and is old enough (30 s) for a retry to take it over
 * (api/middleware/idempotency.ts). What the retry does next is the route's own business.
 */
export async function abandonAnswer(stack: TestStack, key: string): Promise<void> {
  const updated = await stack.orm.em
    .getConnection()
    .execute<Array<{ id: string }>>(`update idempotency_key set response_status = null, response_body = null, created_at = now() - interval '31 seconds' where key = ? returning id`, [key]);
  if (updated.length !== 1) throw new Error(`no single claim for Idempotency-Key ${key}`);
}

/**
 * The same POST twice under one Idempotency-Key, the API "dying" in between: after its
 * commit, before it stored its answer. The second is the client's retry.
 */
export async function postAcrossADeadApi(stack: TestStack, path: string, token: string, body: unknown): Promise<{ first: Reply; again: Reply }> {
  const key = `retried-${randomUUID()}`;
  const post = () => stack.http.post(path, { token, headers: { 'Idempotency-Key': key }, body });
  const first = await post();
  if (first.status < 300) await abandonAnswer(stack, key);
  return { first, again: await post() };
}
