import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** The node's Prometheus registry (SPEC §9); one per process. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequestsTotal = new Counter({
  name: 'rgs_http_requests_total',
  help: 'HTTP requests by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});
