import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { readOutboxBacklog } from '../modules/outbox/service.ts';
import type { MikroORM } from '@mikro-orm/postgresql';
import { registry } from './metrics.ts';
import { withTimeout } from './with-timeout.ts';

// SPEC §9 gauges of shared state (queues in Redis, the outbox's bets in Postgres, counted by
// the outbox module's store), read when
// Prometheus scrapes. A read is shared by concurrent scrapes and reused for READ_CACHE_MS,
// so several scrapers cost one query a second. A read that fails or hangs never fails the
// scrape and never shows a stale number: its series are left out (queues) or NaN.

const READ_CACHE_MS = 1_000;
const READ_TIMEOUT_MS = 2_000;
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** `read`, shared by callers within READ_CACHE_MS; a failure is logged and read as undefined. */
function cachedRead<T>(source: string, read: () => Promise<T>, logger: Logger): () => Promise<T | undefined> {
  let last: { at: number; value: Promise<T | undefined> } | undefined;
  return () => {
    if (last && Date.now() - last.at < READ_CACHE_MS) return last.value;
    const value = withTimeout(read(), READ_TIMEOUT_MS).catch((error: unknown) => {
      logger.warn({ err: error, source }, 'metrics: could not read shared state; its gauges are left out of this scrape');
      return undefined;
    });
    last = { at: Date.now(), value };
    return value;
  };
}

/** Registers the queue depth, outbox depth and parked bets gauges; call once per process. */
export function registerStateGauges(deps: { orm: MikroORM; queues: Queue[]; logger: Logger }): void {
  const queueCounts = cachedRead(
    'redis',
    // A partitioned queue's partitions share its name: their counts add up under it.
    async () => {
      const counts = new Map<string, Record<string, number>>();
      const read = await Promise.all(deps.queues.map(async (queue) => ({ name: queue.name, partition: await queue.getJobCounts(...QUEUE_STATES) })));
      for (const { name, partition } of read) {
        const sum = counts.get(name) ?? {};
        for (const state of QUEUE_STATES) sum[state] = (sum[state] ?? 0) + (partition[state] ?? 0);
        counts.set(name, sum);
      }
      return [...counts].map(([queue, byState]) => ({ queue, counts: byState }));
    },
    deps.logger,
  );
  // A fork per read: one unit of work each, as a job's (STYLE.md).
  const betBacklog = cachedRead('postgres', () => readOutboxBacklog(deps.orm.em.fork()), deps.logger);

  new Gauge({
    name: 'rgs_metrics_source_up',
    help: 'Whether this scrape could read the shared state behind the gauges (1) or not (0), by source (postgres, redis)',
    labelNames: ['source'] as const,
    registers: [registry],
    async collect() {
      const [queues, backlog] = await Promise.all([queueCounts(), betBacklog()]);
      this.set({ source: 'redis' }, queues ? 1 : 0);
      this.set({ source: 'postgres' }, backlog ? 1 : 0);
    },
  });

  new Gauge({
    name: 'rgs_queue_jobs',
    help: 'BullMQ jobs by queue and state (waiting, active, delayed, failed), cluster-wide',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const queues = await queueCounts();
      this.reset();
      for (const { queue, counts } of queues ?? []) {
        for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
      }
    },
  });

  new Gauge({
    name: 'rgs_outbox_depth',
    help: 'Deferred credits waiting for their retry (bets in credit_pending), all operators',
    registers: [registry],
    async collect() {
      const backlog = await betBacklog();
      this.set(backlog ? backlog.creditPending : Number.NaN);
    },
  });

  new Gauge({
    name: 'rgs_bets_parked',
    help: 'Bets parked for manual resolution (a rollback that kept failing, or a credit the wallet refused), all operators',
    registers: [registry],
    async collect() {
      const backlog = await betBacklog();
      this.set(backlog ? backlog.parked : Number.NaN);
    },
  });
}
