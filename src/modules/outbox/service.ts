import type { EntityManager } from '@mikro-orm/postgresql';
import { conflict, notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { ListOutboxQuery } from './schemas.ts';
import { countBacklog, selectOutboxItem, selectOutboxPage, type OutboxEntry } from './store.ts';

/** A deferred credit (a won bet whose credit is being retried, or parked after a refusal), or a parked bet. */
export interface OutboxItem {
  id: string;
  betId: string;
  playerId: string;
  status: string;
  kind: 'credit' | 'rollback';
  transactionId: string;
  amount: number;
  currency: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

const toItem = ({ bet, transaction }: OutboxEntry): OutboxItem => ({
  id: bet.id,
  betId: bet.id,
  playerId: bet.playerId,
  status: bet.status,
  // The transaction was found by its credit or rollback id (store.ts): it is of that kind.
  kind: transaction.kind as OutboxItem['kind'],
  transactionId: transaction.id,
  amount: transaction.amount,
  currency: transaction.currency.trim(),
  attempts: transaction.attempts,
  lastError: transaction.lastError,
  nextAttemptAt: bet.nextAttemptAt?.toISOString() ?? null,
  createdAt: bet.createdAt.toISOString(),
});

export interface OutboxService {
  list(em: EntityManager, operatorId: string, query: ListOutboxQuery): Promise<{ items: OutboxItem[]; nextCursor: string | null; pendingCount: number; parkedCount: number }>;
  retry(em: EntityManager, operatorId: string, betId: string): Promise<OutboxItem>;
}

export function createOutboxService(deps: { enqueuer: Enqueuer }): OutboxService {
  async function list(em: EntityManager, operatorId: string, query: ListOutboxQuery) {
    const [entries, counts] = await Promise.all([
      selectOutboxPage(em, operatorId, { cursor: query.cursor ?? null, limit: query.limit + 1 }),
      countBacklog(em, operatorId),
    ]);
    return {
      ...toPage(entries, query.limit, toItem, ({ bet }) => [bet.positionAt, bet.id]),
      pendingCount: counts?.pending ?? 0,
      parkedCount: counts?.parked ?? 0,
    };
  }

  /** Runs the bet's next attempt now instead of at its backoff time (a credit, parked or not, or a parked bet's rollback). */
  async function retry(em: EntityManager, operatorId: string, betId: string) {
    const entry = await selectOutboxItem(em, operatorId, betId);
    if (!entry) throw notFound('outbox item');
    const { status } = entry.bet;
    if (status !== 'credit_pending' && status !== 'credit_parked' && status !== 'parked') {
      throw conflict('NOT_RETRYABLE', `the bet is ${status}: only credit_pending, credit_parked and parked bets can be retried`);
    }
    const item = toItem(entry);
    await deps.enqueuer.runNow(item.kind, { operatorId, betId, attempt: item.attempts + 1 });
    return item;
  }

  return { list, retry };
}

/**
 * The backlog of all operators (the metrics gauges, src/shared/gauges.ts): deferred credits
 * (credit_pending bets) and parked bets; undefined if Postgres returned no row.
 */
export async function readOutboxBacklog(em: EntityManager): Promise<{ creditPending: number; parked: number } | undefined> {
  const counts = await countBacklog(em, null);
  return counts && { creditPending: counts.pending, parked: counts.parked };
}
