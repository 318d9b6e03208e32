import type { Logger } from 'pino';
import type { Db } from '../../shared/db.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import { runPeriodically } from '../../shared/periodic.ts';
import { selectOverdueDeliveries } from './store.ts';

const BATCH = 500;

/**
 * SPEC §7/§10.3 webhook sweeper: re-enqueues the due attempt of every overdue delivery.
 * Every node runs it; job ids carry the round and the current minute, so nodes sweeping at
 * once collapse into one job, and the attempt's claim in the database keeps a swept job and
 * a late original from both sending.
 */
export function startWebhookSweeper(deps: { db: Db; enqueuer: Enqueuer; logger: Logger; intervalMs: number }): { sweep(): Promise<number>; stop(): void } {
  async function sweep(): Promise<number> {
    const rows = await selectOverdueDeliveries(deps.db, BATCH);
    const epoch = `sweep${Math.floor(Date.now() / 60_000)}`;
    for (const row of rows) await deps.enqueuer.enqueue('webhook', { deliveryId: row.id, round: row.attempts }, { tag: epoch });
    if (rows.length) deps.logger.info({ count: rows.length }, 'webhook sweeper re-enqueued overdue deliveries');
    return rows.length;
  }

  const periodic = runPeriodically(sweep, { intervalMs: deps.intervalMs, logger: deps.logger, name: 'webhook sweep' });
  return { sweep, stop: () => periodic.stop() };
}
