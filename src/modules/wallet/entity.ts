import { BigIntType, EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';

/** One wallet transaction of a bet; `id` is deterministic so every retry is the same one. */
export interface WalletTransaction {
  /** The table's key leads with the operator (migration 0013): so does every lookup. */
  [PrimaryKeyProp]?: ['operatorId', 'id'];
  operatorId: string;
  id: string;
  betId: string;
  roundId: string;
  playerId: string;
  kind: 'debit' | 'credit' | 'rollback';
  debitTransactionId: string | null;
  currency: string;
  amount: number;
  status: 'pending' | 'applied' | 'refused' | 'failed';
  resultCode: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /**
   * created_at to the microsecond, as Postgres keeps it (a Date keeps milliseconds): the
   * position a page cursor carries. Computed, and only when asked (`populate`).
   */
  positionAt?: string;
}

export const WalletTransactionEntity = new EntitySchema<WalletTransaction>({
  name: 'WalletTransaction',
  tableName: 'wallet_transactions',
  properties: {
    operatorId: { type: 'uuid', primary: true },
    id: { type: 'text', primary: true },
    betId: { type: 'uuid' },
    roundId: { type: 'uuid' },
    playerId: { type: 'text' },
    kind: { type: 'text' },
    debitTransactionId: { type: 'text', nullable: true },
    currency: { type: 'character', length: 3 },
    // Minor units, within Number.MAX_SAFE_INTEGER by validation (SPEC §3): a number, as in SQL reads.
    amount: { type: new BigIntType('number') },
    status: { type: 'text' },
    resultCode: { type: 'text', nullable: true },
    attempts: { type: 'integer' },
    lastError: { type: 'text', nullable: true },
    nextAttemptAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    positionAt: { type: 'string', lazy: true, formula: (alias) => `to_char(${alias}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` },
  },
});
