import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The node's Prometheus registry (SPEC §9); one per process. */
export const registry = new Registry();
// prom-client samples the event loop's delay (nodejs_eventloop_lag_*) on a timer of this
// period. At its default, 10 ms, that timer woke an idle node 100 times a second and cost it
// 3.9 ms of CPU a second, two thirds of what an idle node spent (measured: 99 wake-ups/s and
// 4.2 ms/s against 10 and 0.8 at 100 ms). A stall longer than the period still shows in the
// lag figures; shorter ones are sampled less often.
const EVENT_LOOP_SAMPLE_MS = 100;
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });

export const httpRequestsTotal = new Counter({
  name: 'rgs_http_requests_total',
  help: 'HTTP requests by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const betsPlacedTotal = new Counter({
  name: 'rgs_bets_placed_total',
  help: 'Bets accepted (placed and committed)',
  registers: [registry],
});

export const betsRefusedTotal = new Counter({
  name: 'rgs_bets_refused_total',
  help: 'Bets refused before reaching the wallet, by code',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const walletCallsTotal = new Counter({
  name: 'rgs_wallet_calls_total',
  help: 'Wallet calls by kind and outcome (applied, refused, unknown)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

// Every wallet kind and outcome is exported from the start (0 until it happens), so
// credit and rollback series exist before the first credit or rollback (SPEC §9).
for (const kind of ['debit', 'credit', 'rollback']) {
  for (const outcome of ['applied', 'refused', 'unknown']) walletCallsTotal.inc({ kind, outcome }, 0);
}

export const walletDebitCallsTotal = new Counter({
  name: 'rgs_wallet_debit_calls_total',
  help: 'Wallet debit calls (every attempt)',
  registers: [registry],
});

export const walletDebitFailuresTotal = new Counter({
  name: 'rgs_wallet_debit_failures_total',
  help: 'Wallet debit attempts that did not apply (refused or unknown)',
  registers: [registry],
});

export const betSettlementSeconds = new Histogram({
  name: 'rgs_bet_settlement_seconds',
  help: 'Time from placement to a final state',
  labelNames: ['status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
  registers: [registry],
});

export const statementBatchSize = new Histogram({
  name: 'rgs_statement_batch_size',
  help: 'Items written or read by one group-committed statement',
  labelNames: ['statement'] as const,
  buckets: [1, 2, 4, 8, 16, 32, 64],
  registers: [registry],
});

export const betsParkedTotal = new Counter({
  name: 'rgs_bets_parked_total',
  help: 'Bets parked for manual resolution',
  registers: [registry],
});

export const eventsRelayedTotal = new Counter({
  name: 'rgs_events_relayed_total',
  help: 'Committed events appended to their operator stream',
  registers: [registry],
});

export const eventRelayLagSeconds = new Histogram({
  name: 'rgs_event_relay_lag_seconds',
  help: 'Time from an event being committed to being appended to its stream',
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

export const partitionsDroppedTotal = new Counter({
  name: 'rgs_partitions_dropped_total',
  help: 'Expired partitions of events, webhook_deliveries and idempotency_records dropped (issue #21)',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const partitionsKeptTotal = new Counter({
  name: 'rgs_partitions_kept_total',
  help: 'Expired partitions an upkeep pass kept, by reason (unrelayed events, pending deliveries, ...), or partitions it could not create',
  labelNames: ['table', 'reason'] as const,
  registers: [registry],
});

export const rateLimitedTotal = new Counter({
  name: 'rgs_rate_limited_total',
  help: 'Requests refused with 429 RATE_LIMITED (SPEC §3)',
  registers: [registry],
});

export const rateLimitFallbacksTotal = new Counter({
  name: 'rgs_rate_limit_fallbacks_total',
  help: 'Requests limited by this node alone because Redis did not answer the shared counter',
  registers: [registry],
});

export const operatorKeyLookupsTotal = new Counter({
  name: 'rgs_operator_key_lookups_total',
  help: 'Operator keys looked up in the database (not found in this node\'s caches), by result (found, unknown)',
  labelNames: ['result'] as const,
  registers: [registry],
});
for (const result of ['found', 'unknown']) operatorKeyLookupsTotal.inc({ result }, 0);
