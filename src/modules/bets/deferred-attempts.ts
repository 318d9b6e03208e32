import type { Logger } from 'pino';
import type { Queryable } from '../../shared/db.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { BetStepName } from '../../../queues/catalog.ts';
import type { BetRecord } from './bet-view.ts';
import { postponeBet } from './store.ts';

/**
 * A wallet call its operator's bound left no place for (src/modules/wallet/operator-bounds.ts)
 * is not made, so it is no attempt: nothing reached the wallet, nothing is unknown, and the
 * attempt count stays as it was. The same attempt runs later as a job, with the same
 * transaction id as ever.
 */
export async function deferAttempt(
  deps: { db: Queryable; enqueuer: Enqueuer; logger: Logger; leaseMs: number },
  input: { step: BetStepName; bet: BetRecord; attempt: number; delayMs: number },
): Promise<void> {
  const { step, bet, attempt, delayMs } = input;
  // The bet's due time moves past the deferred attempt, so the sweeper does not start a
  // second line of attempts beside it; a bet another runner advanced meanwhile is left alone.
  await postponeBet(deps.db, bet.operator_id, bet.id, bet.version, new Date(Date.now() + delayMs + deps.leaseMs));
  // A tag of its own: the job that deferred may be this very attempt's job, and a job id that exists is not added again.
  await deps.enqueuer.enqueue(step, { operatorId: bet.operator_id, betId: bet.id, attempt }, { delayMs, tag: `deferred${Date.now()}` }).catch((error: unknown) => {
    deps.logger.warn({ err: error, betId: bet.id, step, attempt }, 'deferred wallet attempt not enqueued; the sweeper will retry');
  });
}
