import { raw, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WalletTransactionEntity, type WalletTransaction } from './entity.ts';
import type { TransactionsQuery } from './transactions-schemas.ts';

// Every query of the wallet module that is not the bet path's: the operator's list of
// wallet_transactions (SPEC §3 reconciliation), entity code. The bet path's writes of this
// table are the bets module's set-based statements.

/** A wallet transaction read with its page position (`positionAt`, the cursor's microseconds). */
export type PositionedWalletTransaction = WalletTransaction & { positionAt: string };

/**
 * wallet_transactions: the operator's, filtered, newest first by (created_at, id),
 * keyset-paginated on the wallet_tx_operator_* indexes; `query.limit + 1` rows. The cursor
 * is compared as a row, (created_at, id) < (…), so Postgres walks the index from that
 * position; `from`/`to` reach Postgres as text, cast there, so a bound keeps its microseconds.
 */
export async function selectTransactions(em: EntityManager, operatorId: string, query: TransactionsQuery): Promise<PositionedWalletTransaction[]> {
  const createdAt = {
    ...(query.from !== undefined && { $gte: raw('?::timestamptz', [query.from]) }),
    ...(query.to !== undefined && { $lt: raw('?::timestamptz', [query.to]) }),
  };
  const where: FilterQuery<WalletTransaction> = {
    operatorId,
    ...(query.playerId !== undefined && { playerId: query.playerId }),
    ...(query.roundId !== undefined && { roundId: query.roundId }),
    ...(Object.keys(createdAt).length > 0 && { createdAt }),
    ...(query.cursor !== undefined && { [raw((alias) => `(${alias}.created_at, ${alias}.id)`)]: { $lt: raw('(?::timestamptz, ?)', query.cursor) } }),
  };
  const transactions = await em.find(WalletTransactionEntity, where, {
    populate: ['positionAt'],
    orderBy: { createdAt: 'desc', id: 'desc' },
    limit: query.limit + 1,
  });
  return transactions as PositionedWalletTransaction[];
}
