import type { EntityManager } from '@mikro-orm/postgresql';
import { toPage } from '../../shared/pagination.ts';
import type { WalletTransaction } from './entity.ts';
import type { TransactionsQuery } from './transactions-schemas.ts';
import { selectTransactions, type PositionedWalletTransaction } from './store.ts';

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

function toView(transaction: PositionedWalletTransaction): TransactionView {
  return {
    id: transaction.id,
    kind: transaction.kind,
    betId: transaction.betId,
    roundId: transaction.roundId,
    playerId: transaction.playerId,
    debitTransactionId: transaction.debitTransactionId,
    amount: transaction.amount,
    currency: transaction.currency.trim(),
    status: transaction.status,
    resultCode: transaction.resultCode,
    attempts: transaction.attempts,
    lastError: transaction.lastError,
    nextAttemptAt: transaction.nextAttemptAt?.toISOString() ?? null,
    createdAt: transaction.createdAt.toISOString(),
    updatedAt: transaction.updatedAt.toISOString(),
  };
}

/**
 * The operator's wallet transactions, newest first by (created_at, id), keyset-paginated
 * on the wallet_tx_operator_* indexes.
 */
export async function listTransactions(em: EntityManager, operatorId: string, query: TransactionsQuery) {
  const transactions = await selectTransactions(em, operatorId, query);
  return toPage(transactions, query.limit, toView, (transaction) => [transaction.positionAt, transaction.id]);
}
