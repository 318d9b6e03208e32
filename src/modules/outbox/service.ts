import type { Db, Queryable } from '../../shared/db.ts';
import { conflict, notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { ListOutboxQuery } from './schemas.ts';
import { countBacklog, countOperatorBacklog, selectOutboxItem, selectOutboxPage, type OutboxRow } from './store.ts';

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

const toItem = (row: OutboxRow): OutboxItem => ({
  id: row.id,
  betId: row.id,
  playerId: row.player_id,
  status: row.status,
  kind: row.kind,
  transactionId: row.transaction_id,
  amount: row.amount,
  currency: row.currency.trim(),
  attempts: row.attempts,
  lastError: row.last_error,
  nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
});

export interface OutboxService {
  list(operatorId: string, query: ListOutboxQuery): Promise<{ items: OutboxItem[]; nextCursor: string | null; pendingCount: number; parkedCount: number }>;
  retry(operatorId: string, betId: string): Promise<OutboxItem>;
}

export function createOutboxService(deps: { db: Db; enqueuer: Enqueuer }): OutboxService {
  const { db } = deps;

  async function list(operatorId: string, query: ListOutboxQuery) {
    const [cursorAt, cursorId] = query.cursor ?? [null, null];
    const [rows, counts] = await Promise.all([
      selectOutboxPage(db, operatorId, { cursorAt, cursorId, limit: query.limit + 1 }),
      countOperatorBacklog(db, operatorId),
    ]);
    return {
      ...toPage(rows, query.limit, toItem, (row) => [row.cursor_at, row.id]),
      pendingCount: counts?.pending ?? 0,
      parkedCount: counts?.parked ?? 0,
    };
  }

  /** Runs the bet's next attempt now instead of at its backoff time (a credit, parked or not, or a parked bet's rollback). */
  async function retry(operatorId: string, betId: string) {
    const row = await selectOutboxItem(db, operatorId, betId);
    if (!row) throw notFound('outbox item');
    if (row.status !== 'credit_pending' && row.status !== 'credit_parked' && row.status !== 'parked') {
      throw conflict('NOT_RETRYABLE', `the bet is ${row.status}: only credit_pending, credit_parked and parked bets can be retried`);
    }
    await deps.enqueuer.runNow(row.kind, { betId, attempt: row.attempts + 1 });
    return toItem(row);
  }

  return { list, retry };
}

/**
 * The backlog of all operators (the metrics gauges, src/shared/gauges.ts): deferred credits
 * (credit_pending bets) and parked bets; undefined if Postgres returned no row.
 */
export async function readOutboxBacklog(db: Queryable): Promise<{ creditPending: number; parked: number } | undefined> {
  const row = await countBacklog(db);
  return row && { creditPending: row.credit_pending, parked: row.parked };
}
