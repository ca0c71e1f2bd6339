import { describe, expect, it } from '@jest/globals';
import { routes } from '../../api/app.ts';

/**
 * A request retried under its Idempotency-Key after the API died between its commit and
 * its answer (api/middleware/idempotency.ts) must not do its work twice. Every signed-in
 * POST that makes or starts something (201, 202) says how: its answer commits with its
 * work (`answerWithWork`, test/api/answerWithWork.test.ts), or it is listed here with the
 * key that finds its first try's work again. A new route fails here until it does one or
 * the other.
 */
const FOUND_AGAIN: Record<string, string> = {
  // api/startWork.ts madeOnce: the request's key in the row it writes, each route's own test.
  '/inbox/messages': 'its external_id, or the request key (messages.request_key)',
  '/sms/send': "the outgoing message's idempotency_key",
  '/email/send': "the outgoing message's idempotency_key",
  '/calendar/events': "the event's dedupe_key",
  '/reminders': 'reminders.request_key',
  '/automations/:id/execute': 'automation_runs.request_key',
  '/automations/:id/campaign': 'campaigns.request_key',
  '/voice/calls': 'voice_calls.request_key',
  '/webhooks': 'webhook_endpoints.request_key',
  '/knowledge/documents': 'knowledge_documents.request_key',
  '/knowledge/documents/upload': 'knowledge_documents.request_key',
  '/crm/leads/import': 'lead_imports.request_key',
  // One of a kind by a business key: a retry reaches the same row or run.
  '/calendar/auth/callback': "the tenant's one connection per provider (Google refuses a code used twice)",
  '/calendar/sync/:provider': "the connection's run, calendar-sync-<id>",
  '/inbox/messages/:id/process': "the message's triage run and its dedupe keys",
  '/integrations/:id/sync/:data_type': "the integration's sync run for that data type",
  '/knowledge/documents/:id/reindex': "the document's revision run (an index run again changes no passage)",
  '/knowledge/reindex': 'each document’s revision run',
  '/runs/:workflow_id/cancel': 'the run itself',
  '/webhooks/:id/replay': 'each delivery’s webhook-id, which receivers deduplicate on',
  '/webhooks/deliveries/:id/retry': "the delivery's run, webhook-<deliveryId>",
};

describe('creating routes retried after the API died before answering', () => {
  const creating = routes.filter((r) => r.method === 'post' && r.auth && (r.status === 201 || r.status === 202));

  it('each say how a retry finds the work of the first try', () => {
    const unexplained = creating.filter((r) => !r.answerWithWork && !(r.path in FOUND_AGAIN)).map((r) => r.path);
    expect(unexplained).toEqual([]);
  });

  it('list no route that is gone or that answers with its work', () => {
    const listed = new Set(creating.filter((r) => !r.answerWithWork).map((r) => r.path));
    expect(Object.keys(FOUND_AGAIN).filter((path) => !listed.has(path))).toEqual([]);
  });
});
