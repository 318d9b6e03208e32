import type { Db } from '../../shared/db.ts';
import { conflict, notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { ListOutboxQuery } from './schemas.ts';

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

interface OutboxRow {
  id: string;
  player_id: string;
  status: string;
  transaction_id: string;
  kind: 'credit' | 'rollback';
  amount: number;
  currency: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
  cursor_at: string;
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

// The outbox is keyed by bet id: a credit_pending or credit_parked bet's credit, or a parked bet's rollback.
const SELECT_OUTBOX = `
  SELECT b.id, b.player_id, b.status, b.created_at, b.created_at::text AS cursor_at,
         wt.id AS transaction_id, wt.kind, wt.amount, wt.currency, wt.attempts, wt.last_error, b.next_attempt_at
    FROM bets b
    JOIN wallet_transactions wt ON wt.id = b.id || ':' || CASE b.status WHEN 'parked' THEN 'rollback' ELSE 'credit' END`;

export interface OutboxService {
  list(operatorId: string, query: ListOutboxQuery): Promise<{ items: OutboxItem[]; nextCursor: string | null; pendingCount: number; parkedCount: number }>;
  retry(operatorId: string, betId: string): Promise<OutboxItem>;
}

export function createOutboxService(deps: { db: Db; enqueuer: Enqueuer }): OutboxService {
  const { db } = deps;

  async function list(operatorId: string, query: ListOutboxQuery) {
    const [cursorAt, cursorId] = query.cursor ?? [null, null];
    const [{ rows }, counts] = await Promise.all([
      db.query<OutboxRow>(
        `${SELECT_OUTBOX}
          WHERE b.operator_id = $1 AND b.status IN ('credit_pending', 'credit_parked')
            AND ($2::timestamptz IS NULL OR (b.created_at, b.id) < ($2::timestamptz, $3::uuid))
          ORDER BY b.created_at DESC, b.id DESC LIMIT $4`,
        [operatorId, cursorAt, cursorId, query.limit + 1],
      ),
      db.query<{ pending: number; parked: number }>(
        `SELECT count(*) FILTER (WHERE status = 'credit_pending')::int AS pending,
                count(*) FILTER (WHERE status IN ('parked', 'credit_parked'))::int AS parked
           FROM bets WHERE operator_id = $1 AND status IN ('credit_pending', 'parked', 'credit_parked')`,
        [operatorId],
      ),
    ]);
    return {
      ...toPage(rows, query.limit, toItem, (row) => [row.cursor_at, row.id]),
      pendingCount: counts.rows[0]?.pending ?? 0,
      parkedCount: counts.rows[0]?.parked ?? 0,
    };
  }

  /** Runs the bet's next attempt now instead of at its backoff time (a credit, parked or not, or a parked bet's rollback). */
  async function retry(operatorId: string, betId: string) {
    const { rows } = await db.query<OutboxRow>(`${SELECT_OUTBOX} WHERE b.operator_id = $1 AND b.id = $2`, [operatorId, betId]);
    const row = rows[0];
    if (!row) throw notFound('outbox item');
    if (row.status !== 'credit_pending' && row.status !== 'credit_parked' && row.status !== 'parked') {
      throw conflict('NOT_RETRYABLE', `the bet is ${row.status}: only credit_pending, credit_parked and parked bets can be retried`);
    }
    await deps.enqueuer.runNow(row.kind, { betId, attempt: row.attempts + 1 });
    return toItem(row);
  }

  return { list, retry };
}
