import { BigIntType, Collection, EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';
import { RoundEntity, type Round } from '../rounds/entity.ts';

/**
 * A bet: the XState persisted snapshot of its machine (`snapshot`, restored with
 * `parseStoredSnapshot` in stored-snapshot.ts and `restoreBetSnapshot`), the optimistic `version` MikroORM
 * checks on every update, the states it went through (`transitions`), and the columns
 * lists filter on. The hot path writes the same rows set-based (store.ts) under the same
 * version rule: `WHERE version = <read>` and `version + 1`.
 */
export interface Bet {
  /** The table's key leads with the operator (migration 0013): so does every lookup. */
  [PrimaryKeyProp]?: ['operatorId', 'id'];
  operatorId: string;
  id: string;
  playerId: string;
  sessionToken: string;
  round: Round;
  idempotencyKey: string;
  requestHash: string;
  currency: string;
  amount: number;
  payout: number;
  game: string;
  params: Record<string, unknown>;
  status: string;
  snapshot: Record<string, unknown>;
  version: number;
  transitions: Collection<BetTransition>;
  rejectReason: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  settledAt: Date | null;
  /**
   * `created_at::text`, to the microsecond: the position a page cursor carries (a Date
   * keeps milliseconds). Computed, and only when asked (`fields`/`populate`).
   */
  positionAt?: string;
}

/** One state a bet entered, keyed by the bet's version at that moment (the history's order). */
export interface BetTransition {
  [PrimaryKeyProp]?: ['bet', 'version'];
  bet: Bet;
  version: number;
  state: string;
  at: Date;
}

export const BetEntity: EntitySchema<Bet> = new EntitySchema<Bet>({
  name: 'Bet',
  tableName: 'bets',
  properties: {
    operatorId: { type: 'uuid', primary: true },
    id: { type: 'uuid', primary: true },
    playerId: { type: 'text' },
    sessionToken: { type: 'uuid' },
    round: { kind: 'm:1', entity: () => RoundEntity, joinColumns: ['operator_id', 'round_id'], referencedColumnNames: ['operator_id', 'id'] },
    idempotencyKey: { type: 'text' },
    requestHash: { type: 'text' },
    currency: { type: 'character', length: 3 },
    // Minor units, within Number.MAX_SAFE_INTEGER by validation (SPEC §3): numbers, as in SQL reads.
    amount: { type: new BigIntType('number') },
    payout: { type: new BigIntType('number') },
    game: { type: 'text' },
    params: { type: 'json' },
    status: { type: 'text' },
    snapshot: { type: 'json' },
    version: { type: 'integer', version: true },
    transitions: { kind: '1:m', entity: () => BetTransitionEntity, mappedBy: 'bet', orderBy: { version: 'asc' } },
    rejectReason: { type: 'text', nullable: true },
    nextAttemptAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    settledAt: { type: 'Date', nullable: true },
    positionAt: { type: 'string', lazy: true, formula: (alias) => `${alias}.created_at::text` },
  },
});

export const BetTransitionEntity: EntitySchema<BetTransition> = new EntitySchema<BetTransition>({
  name: 'BetTransition',
  tableName: 'bet_transitions',
  properties: {
    bet: { kind: 'm:1', entity: () => BetEntity, primary: true, joinColumns: ['operator_id', 'bet_id'], referencedColumnNames: ['operator_id', 'id'] },
    version: { type: 'integer', primary: true },
    state: { type: 'text' },
    at: { type: 'Date' },
  },
});
