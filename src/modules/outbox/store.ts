import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BetEntity } from '../bets/entity.ts';
import { WalletTransactionEntity, type WalletTransaction } from '../wallet/entity.ts';
import { walletTransactionId } from '../wallet/transaction-ids.ts';

// Every query of the outbox module. The outbox owns no table: it is a view of bets (the
// open ones waiting on a credit or a person) and of their wallet_transactions row (the
// call being retried): documented read-only queries of the bets and wallet modules' tables,
// as entity code. A bet's row is found by its primary key (operator_id, id), its transaction
// by its operator and deterministic id (`<betId>:<step>`, the primary key): there is no index on
// wallet_transactions.bet_id to join on.

/** The bet's side of an outbox item. */
const BET_FIELDS = ['id', 'playerId', 'status', 'nextAttemptAt', 'createdAt', 'positionAt'] as const;

/** The transaction's side: the call being retried. */
const TRANSACTION_FIELDS = ['id', 'kind', 'amount', 'currency', 'attempts', 'lastError'] as const;

/** A bet in the outbox with the wallet transaction it waits on. */
export interface OutboxEntry {
  bet: { id: string; playerId: string; status: string; nextAttemptAt: Date | null; createdAt: Date; positionAt: string };
  transaction: Pick<WalletTransaction, (typeof TRANSACTION_FIELDS)[number]>;
}

// The outbox is keyed by bet id: a credit_pending or credit_parked bet's credit, or a parked bet's rollback.
const outboxTransactionId = (bet: { id: string; status: string }) => walletTransactionId(bet.id, bet.status === 'parked' ? 'rollback' : 'credit');

/** The bets with their transactions, in the bets' order; a bet without one is not an outbox item. */
async function withTransactions(em: EntityManager, operatorId: string, bets: OutboxEntry['bet'][]): Promise<OutboxEntry[]> {
  if (bets.length === 0) return [];
  const transactions = await em.find(WalletTransactionEntity, { operatorId, id: { $in: bets.map(outboxTransactionId) } }, { fields: TRANSACTION_FIELDS });
  const byId = new Map(transactions.map((transaction) => [transaction.id, transaction]));
  return bets.flatMap((bet) => {
    const transaction = byId.get(outboxTransactionId(bet));
    return transaction ? [{ bet, transaction }] : [];
  });
}

// A bet is an outbox item only with its credit row (a credit_pending or credit_parked bet has
// it from the transition that entered crediting): checked in the page's own statement, so a
// bet without one never takes a place on the page. One primary-key probe per bet.
const HAS_CREDIT_TRANSACTION = raw((alias) => `EXISTS (SELECT 1 FROM wallet_transactions wt WHERE wt.operator_id = ${alias}.operator_id AND wt.id = ${alias}.id || ':credit')`);

/**
 * bets, then their wallet_transactions: the operator's deferred credits newest first, `limit`
 * before the cursor.
 */
export async function selectOutboxPage(em: EntityManager, operatorId: string, page: { cursor: readonly [string, string] | null; limit: number }): Promise<OutboxEntry[]> {
  const bets = await em.find(
    BetEntity,
    {
      operatorId,
      status: { $in: ['credit_pending', 'credit_parked'] },
      [HAS_CREDIT_TRANSACTION]: true,
      ...(page.cursor !== null && { [raw((alias) => `(${alias}.created_at, ${alias}.id)`)]: { $lt: raw('(?::timestamptz, ?::uuid)', page.cursor) } }),
    },
    { fields: BET_FIELDS, orderBy: { createdAt: 'desc', id: 'desc' }, limit: page.limit },
  );
  return withTransactions(em, operatorId, bets as OutboxEntry['bet'][]);
}

/** bets, then its wallet_transactions row: one bet's outbox item (whatever its status), if it is the operator's. */
export async function selectOutboxItem(em: EntityManager, operatorId: string, betId: string): Promise<OutboxEntry | undefined> {
  const bet = await em.findOne(BetEntity, { id: betId, operatorId }, { fields: BET_FIELDS });
  if (!bet) return undefined;
  const [entry] = await withTransactions(em, operatorId, [bet as OutboxEntry['bet']]);
  return entry;
}

// Deferred credits are credit_pending bets; parked bets wait for a person, with a rollback
// that kept failing (parked) or a credit the wallet refused (credit_parked). All are open
// bets, so Postgres answers the count of all operators from the partial index
// bets_open_due and never scans settled history.
const BACKLOG_STATES = ['credit_pending', 'parked', 'credit_parked'];

/** bets: the deferred credits and parked bets of one operator, or of all (`null`), counted. */
export async function countBacklog(em: EntityManager, operatorId: string | null): Promise<{ pending: number; parked: number } | undefined> {
  return em
    .createQueryBuilder(BetEntity)
    .select([
      raw(`count(*) FILTER (WHERE status = 'credit_pending')::int AS pending`),
      raw(`count(*) FILTER (WHERE status IN ('parked', 'credit_parked'))::int AS parked`),
    ])
    .where({ status: { $in: BACKLOG_STATES }, ...(operatorId !== null && { operatorId }) })
    .execute<{ pending: number; parked: number } | undefined>('get');
}
