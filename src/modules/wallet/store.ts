import type { Queryable } from '../../shared/db.ts';
import type { WalletTransaction } from './entity.ts';
import type { TransactionsQuery } from './transactions-schemas.ts';

// Every query of the wallet module that is not the bet path's: the operator's list of
// wallet_transactions (SPEC §3 reconciliation). The bet path's writes of this table are
// the bets module's set-based statements.

export interface TransactionRow {
  id: string;
  kind: WalletTransaction['kind'];
  bet_id: string;
  round_id: string;
  player_id: string;
  debit_transaction_id: string | null;
  amount: number;
  currency: string;
  status: WalletTransaction['status'];
  result_code: string | null;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** created_at to the microsecond: the page position (a Date keeps milliseconds only). */
  position_at: string;
}

/**
 * wallet_transactions: the operator's, filtered, newest first by (created_at, id),
 * keyset-paginated on the wallet_tx_operator_* indexes; `query.limit + 1` rows.
 */
export async function selectTransactions(db: Queryable, operatorId: string, query: TransactionsQuery): Promise<TransactionRow[]> {
  const params: unknown[] = [operatorId];
  const where = ['operator_id = $1'];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  if (query.playerId !== undefined) add((p) => `player_id = ${p}`, query.playerId);
  if (query.roundId !== undefined) add((p) => `round_id = ${p}::uuid`, query.roundId);
  if (query.from !== undefined) add((p) => `created_at >= ${p}::timestamptz`, query.from);
  if (query.to !== undefined) add((p) => `created_at < ${p}::timestamptz`, query.to);
  if (query.cursor !== undefined) {
    const [at, id] = query.cursor;
    params.push(at);
    add((p) => `(created_at, id) < ($${params.length - 1}::timestamptz, ${p})`, id);
  }
  params.push(query.limit + 1);
  const { rows } = await db.query<TransactionRow>(
    `SELECT id, kind, bet_id, round_id, player_id, debit_transaction_id, amount, currency, status, result_code,
            attempts, last_error, next_attempt_at, created_at, updated_at,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_at
       FROM wallet_transactions WHERE ${where.join(' AND ')}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}
