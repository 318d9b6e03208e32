import type { Queryable } from '../../shared/db.ts';
import { toPage } from '../../shared/pagination.ts';
import type { WalletTransaction } from './entity.ts';
import type { TransactionsQuery } from './transactions-schemas.ts';
import { selectTransactions, type TransactionRow } from './store.ts';

/** One wallet call the RGS made (SPEC §3 reconciliation), with its result and retries. */
export interface TransactionView {
  id: string;
  kind: WalletTransaction['kind'];
  betId: string;
  roundId: string;
  playerId: string;
  debitTransactionId: string | null;
  amount: number;
  currency: string;
  status: WalletTransaction['status'];
  resultCode: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
}

function toView(row: TransactionRow): TransactionView {
  return {
    id: row.id,
    kind: row.kind,
    betId: row.bet_id,
    roundId: row.round_id,
    playerId: row.player_id,
    debitTransactionId: row.debit_transaction_id,
    amount: row.amount,
    currency: row.currency.trim(),
    status: row.status,
    resultCode: row.result_code,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The operator's wallet transactions, newest first by (created_at, id), keyset-paginated
 * on the wallet_tx_operator_* indexes.
 */
export async function listTransactions(db: Queryable, operatorId: string, query: TransactionsQuery) {
  const rows = await selectTransactions(db, operatorId, query);
  return toPage(rows, query.limit, toView, (row) => [row.position_at, row.id]);
}
