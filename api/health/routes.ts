import { z } from 'zod';
import { serviceUnavailable } from '../../lib/errors.ts';
import { publicRoute, type RouteDef } from '../routing.ts';
import type { AppDeps } from '../context.ts';

const CHECK_TIMEOUT_MS = 3_000;

interface Check {
  status: 'ok' | 'unavailable';
  latency_ms: number;
  error?: string;
}

async function timed(probe: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
    ]);
    return { status: 'ok', latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    // Only the kind of failure: connection strings and hosts stay out of a public endpoint.
    const error = err instanceof Error && err.message.startsWith('no answer') ? err.message : 'unreachable';
    return { status: 'unavailable', latency_ms: Math.round(performance.now() - started), error };
  }
}

export async function checkHealth(deps: AppDeps) {
  const [database, temporal] = await Promise.all([
    timed(() => deps.orm.em.getConnection().execute('select 1')),
    timed(() => deps.temporal.workflowService.getSystemInfo({})),
  ]);
  const ok = database.status === 'ok' && temporal.status === 'ok';
  return { status: ok ? 'ok' : 'degraded', checks: { database, temporal } };
}

const checkSchema = z.object({ status: z.enum(['ok', 'unavailable']), latency_ms: z.number(), error: z.string().optional() });

export const healthRoutes: RouteDef[] = [
  publicRoute({
    method: 'get',
    path: '/health',
    tag: 'health',
    summary: 'Whether PostgreSQL and Temporal are reachable (503 when either is not)',
    response: z.object({ status: z.enum(['ok', 'degraded']), checks: z.object({ database: checkSchema, temporal: checkSchema }) }),
    handler: async (ctx) => {
      const health = await checkHealth(ctx.deps);
      if (health.status !== 'ok') {
        const e = serviceUnavailable('A dependency is unreachable');
        ctx.status = 503;
        ctx.body = { ...health, error: { code: e.code, message: e.message, details: health.checks, request_id: ctx.state.requestId } };
        return undefined;
      }
      return health;
    },
  }),
];
