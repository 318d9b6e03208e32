import type { Logger } from 'pino';
import type { Db } from '../../shared/db.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import { stepOf } from '../../../machines/bet.machine.ts';
import { runPeriodically } from '../../shared/periodic.ts';
import { findOverdueBets } from './store.ts';

const BATCH = 500;

/**
 * SPEC §4 sweeper: re-enqueues the next attempt of every overdue bet. Every node runs it;
 * job ids carry the attempt and the current minute, so nodes sweeping at once collapse
 * into one job, and a job that finished without progress is tried again a minute later.
 */
export function startSweeper(deps: { db: Db; enqueuer: Enqueuer; logger: Logger; intervalMs: number }): { sweep(): Promise<number>; stop(): void } {
  async function sweep(): Promise<number> {
    const rows = await findOverdueBets(deps.db, BATCH);
    const epoch = `sweep${Math.floor(Date.now() / 60_000)}`;
    for (const row of rows) {
      const step = stepOf(row.status);
      if (step) await deps.enqueuer.enqueue(step, { operatorId: row.operator_id, betId: row.id, attempt: row.attempts + 1 }, { tag: epoch });
    }
    if (rows.length) deps.logger.info({ count: rows.length }, 'sweeper re-enqueued overdue bets');
    return rows.length;
  }

  const periodic = runPeriodically(sweep, { intervalMs: deps.intervalMs, logger: deps.logger, name: 'sweep' });
  return { sweep, stop: () => periodic.stop() };
}
