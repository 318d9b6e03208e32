import { Counter, Gauge } from 'prom-client';
import { registry } from '../../shared/metrics.ts';

// SPEC §9 metrics of the SSE stream (§7), per node.

export const sseClients = new Gauge({
  name: 'rgs_sse_clients',
  help: 'SSE connections open on this node',
  registers: [registry],
});

export const sseReaders = new Gauge({
  name: 'rgs_sse_readers',
  help: 'Redis Stream readers on this node (one per operator with connected clients)',
  registers: [registry],
});

export const sseEventsSent = new Counter({
  name: 'rgs_sse_events_sent_total',
  help: 'Event frames written to SSE connections (replayed and live)',
  registers: [registry],
});

export const sseClientsDropped = new Counter({
  name: 'rgs_sse_clients_dropped_total',
  help: 'SSE connections the server ended, by reason (slow_consumer, replay_failed, replay_limit, shutdown)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const sseClientsRefused = new Counter({
  name: 'rgs_sse_clients_refused_total',
  help: 'GET /stream answered 429 TOO_MANY_STREAMS, by cap (operator_cap, node_cap)',
  labelNames: ['reason'] as const,
  registers: [registry],
});
