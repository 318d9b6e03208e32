import type { Queryable } from '../../shared/db.ts';

// Every query of the outbox module. The outbox owns no table: it is a view of bets (the
// open ones waiting on a credit or a person) joined to their wallet_transactions row (the
// call being retried): read-only, one statement per page.

export interface OutboxRow {
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

// The outbox is keyed by bet id: a credit_pending or credit_parked bet's credit, or a parked bet's rollback.
const SELECT_OUTBOX = `
  SELECT b.id, b.player_id, b.status, b.created_at, b.created_at::text AS cursor_at,
         wt.id AS transaction_id, wt.kind, wt.amount, wt.currency, wt.attempts, wt.last_error, b.next_attempt_at
    FROM bets b
    JOIN wallet_transactions wt ON wt.id = b.id || ':' || CASE b.status WHEN 'parked' THEN 'rollback' ELSE 'credit' END`;

/** bets ⋈ wallet_transactions: the operator's deferred credits newest first, `limit` rows before the cursor. */
export async function selectOutboxPage(
  db: Queryable,
  operatorId: string,
  page: { cursorAt: string | null; cursorId: string | null; limit: number },
): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    `${SELECT_OUTBOX}
      WHERE b.operator_id = $1 AND b.status IN ('credit_pending', 'credit_parked')
        AND ($2::timestamptz IS NULL OR (b.created_at, b.id) < ($2::timestamptz, $3::uuid))
      ORDER BY b.created_at DESC, b.id DESC LIMIT $4`,
    [operatorId, page.cursorAt, page.cursorId, page.limit],
  );
  return rows;
}

/** bets ⋈ wallet_transactions: one bet's outbox item (whatever its status), if it is the operator's. */
export async function selectOutboxItem(db: Queryable, operatorId: string, betId: string): Promise<OutboxRow | undefined> {
  const { rows } = await db.query<OutboxRow>(`${SELECT_OUTBOX} WHERE b.operator_id = $1 AND b.id = $2`, [operatorId, betId]);
  return rows[0];
}

/** bets: the operator's deferred credits and parked bets, counted. */
export async function countOperatorBacklog(db: Queryable, operatorId: string): Promise<{ pending: number; parked: number } | undefined> {
  const { rows } = await db.query<{ pending: number; parked: number }>(
    `SELECT count(*) FILTER (WHERE status = 'credit_pending')::int AS pending,
            count(*) FILTER (WHERE status IN ('parked', 'credit_parked'))::int AS parked
       FROM bets WHERE operator_id = $1 AND status IN ('credit_pending', 'parked', 'credit_parked')`,
    [operatorId],
  );
  return rows[0];
}

// The outbox's definition, all operators (the metrics gauges): deferred credits are credit_pending
// bets; parked bets wait for a person, with a rollback that kept failing (parked) or a
// credit the wallet refused (credit_parked). All are open bets, so Postgres answers from
// the partial index bets_open_due and never scans settled history.
const BET_BACKLOG = `
  SELECT count(*) FILTER (WHERE status = 'credit_pending')::int AS credit_pending,
         count(*) FILTER (WHERE status IN ('parked', 'credit_parked'))::int AS parked
    FROM bets
   WHERE status IN ('credit_pending', 'parked', 'credit_parked')`;

/** bets: deferred credits and parked bets of all operators, counted. */
export async function countBacklog(db: Queryable): Promise<{ credit_pending: number; parked: number } | undefined> {
  const { rows } = await db.query<{ credit_pending: number; parked: number }>(BET_BACKLOG);
  return rows[0];
}
