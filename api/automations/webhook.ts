import { timingSafeEqual } from 'node:crypto';
import { uuidOf } from '../../lib/automations/ids.ts';
import { z } from 'zod';
import { AutomationRunSchema, AutomationSchema, newAutomationRun } from '../../entities/Automation.ts';
import { CROSS_TENANT, systemEm, tenantEm } from '../../lib/db.ts';
import { AppError, conflict, notFound, unauthorized } from '../../lib/errors.ts';
import { standardSignature } from '../../lib/webhookSignature.ts';
import { publicRoute, type RouteDef } from '../routing.ts';
import { startOrDefer } from '../startWork.ts';
import { uuidParam } from '../validation.ts';
import { automationRunDto } from './serialize.ts';
import { checkCapacity } from './routes.ts';

/** A delivery older or newer than this is refused (a replayed capture). */
const TOLERANCE_S = 5 * 60;

/** One delivery id starts the automation once: its run is keyed by a UUID made from the automation and the id. */
const deliveryKey = (automationId: string, webhookId: string) => uuidOf(`${automationId}:${webhookId}`);

/** Whether any `v1,<sig>` of the header is the body's signature with this secret (constant-time). */
function signed(secret: string, id: string, timestamp: number, body: string, header: string): boolean {
  const expected = Buffer.from(standardSignature(secret, id, timestamp, body));
  return header.split(' ').some((candidate) => {
    const given = Buffer.from(candidate.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** An automation's own inbound URL (trigger_type `webhook`): Standard Webhooks verified with its secret; the JSON body is the run's context. */
export const automationWebhookRoutes: RouteDef[] = [
  publicRoute({
    method: 'post',
    path: '/automations/:id/webhook',
    tag: 'automations',
    summary:
      'Start a webhook-triggered automation: a JSON object signed as Standard Webhooks sign (`webhook-id`, `webhook-timestamp` within 5 minutes, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the automation’s `whsec_` secret); the body is the run’s context; one `webhook-id` starts it once (202 with the run, 200 for a repeat)',
    params: z.object({ id: uuidParam }),
    documentedBody: z.record(z.string(), z.unknown()),
    status: 202,
    handler: async (ctx, { params }) => {
      const a = await systemEm(ctx.deps.orm).findOne(AutomationSchema, { id: params.id, triggerType: 'webhook' }, CROSS_TENANT);
      if (!a?.webhookSecretSealed) throw notFound('Automation');
      const id = ctx.get('webhook-id');
      const timestamp = Number(ctx.get('webhook-timestamp'));
      const header = ctx.get('webhook-signature');
      const raw = (ctx.request as unknown as { rawBody?: string }).rawBody ?? '';
      if (!id || !header || !Number.isInteger(timestamp)) throw unauthorized('Signed deliveries only: webhook-id, webhook-timestamp and webhook-signature');
      if (Math.abs(Date.now() / 1000 - timestamp) > TOLERANCE_S) throw unauthorized('webhook-timestamp is more than 5 minutes away');
      if (!signed(ctx.deps.secrets.open(a.webhookSecretSealed), id, timestamp, raw, header)) throw unauthorized('Invalid webhook signature');
      const body = ctx.request.body;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new AppError('VALIDATION_ERROR', 422, 'The body must be a JSON object: it becomes the run’s context');
      if (!a.enabled) throw conflict('This automation is disabled');
      const em = tenantEm(ctx.deps.orm, a.tenant.id);
      const key = deliveryKey(a.id, id);
      const repeat = await em.findOne(AutomationRunSchema, { automation: a.id, triggerEventId: key });
      if (repeat) {
        ctx.status = 200;
        ctx.body = { data: automationRunDto(repeat) };
        return undefined;
      }
      const automation = await em.findOneOrFail(AutomationSchema, a.id);
      await checkCapacity(ctx, em, automation);
      const { run, start } = newAutomationRun(em, automation, { trigger: 'webhook', context: { ...(body as Record<string, unknown>), webhook: { id, timestamp } }, triggerEventId: key, depth: 1, requestId: ctx.state.requestId });
      await em.flush();
      ctx.status = 202;
      ctx.body = { data: automationRunDto(run, await startOrDefer(ctx, start)) };
      return undefined;
    },
  }),
];
