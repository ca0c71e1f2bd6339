import type { Middleware } from 'koa';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppContext, AppContextExtras, AppState } from '../context.ts';

export interface HttpMetrics {
  registry: Registry;
  middleware: Middleware<AppState, AppContextExtras>;
}

/**
 * Request counts and latency by route template (not raw path, which would make one
 * series per id) and status, in a registry of this app's own so tests stay isolated.
 */
export function httpMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const middleware: Middleware<AppState, AppContextExtras> = async (ctx, next) => {
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      const matched = (ctx as AppContext)._matchedRoute;
      const labels = { method: ctx.method, route: matched ? String(matched) : 'unmatched', status: String(ctx.status) };
      requests.inc(labels);
      end(labels);
    }
  };
  return { registry, middleware };
}
