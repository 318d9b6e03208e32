import type { Logger } from 'pino';
import type { Db } from '../../shared/db.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import { SCHEDULED_STEP_STATES, stepOf, type BetStatus } from '../../../machines/bet.machine.ts';
import { runPeriodically } from '../../shared/periodic.ts';

const BATCH = 500;

// The machine's constants, written into the statement as literals (never input): a
// literal list lets Postgres answer from the partial index bets_open_due.
const SCHEDULED = SCHEDULED_STEP_STATES.map((status) => `'${status}'`).join(', ');
const STEP_CASE = SCHEDULED_STEP_STATES.map((status) => `WHEN '${status}' THEN '${stepOf(status)}'`).join(' ');

// Bets whose next wallet step is overdue: committed, but its job never ran (the node
// died between commit and enqueue, Redis lost its queues, a job failed for good). The
// parked states (parked, credit_parked) are left out: they wait for a person.
// A debit job the sweeper starts counts as following an unknown attempt (runtime.ts):
// the process that placed the bet may have died with its first attempt in flight.
const OVERDUE = `
  SELECT b.id, b.status, COALESCE(wt.attempts, 0) AS attempts
    FROM bets b
    LEFT JOIN wallet_transactions wt ON wt.id = b.id || ':' || CASE b.status ${STEP_CASE} END
   WHERE b.status IN (${SCHEDULED})
     AND b.next_attempt_at < now()
   ORDER BY b.next_attempt_at
   LIMIT $1`;

/**
 * SPEC §4 sweeper: re-enqueues the next attempt of every overdue bet. Every node runs it;
 * job ids carry the attempt and the current minute, so nodes sweeping at once collapse
 * into one job, and a job that finished without progress is tried again a minute later.
 */
export function startSweeper(deps: { db: Db; enqueuer: Enqueuer; logger: Logger; intervalMs: number }): { sweep(): Promise<number>; stop(): void } {
  async function sweep(): Promise<number> {
    const { rows } = await deps.db.query<{ id: string; status: BetStatus; attempts: number }>(OVERDUE, [BATCH]);
    const epoch = `sweep${Math.floor(Date.now() / 60_000)}`;
    for (const row of rows) {
      const step = stepOf(row.status);
      if (step) await deps.enqueuer.enqueue(step, { betId: row.id, attempt: row.attempts + 1 }, { tag: epoch });
    }
    if (rows.length) deps.logger.info({ count: rows.length }, 'sweeper re-enqueued overdue bets');
    return rows.length;
  }

  const periodic = runPeriodically(sweep, { intervalMs: deps.intervalMs, logger: deps.logger, name: 'sweep' });
  return { sweep, stop: () => periodic.stop() };
}
