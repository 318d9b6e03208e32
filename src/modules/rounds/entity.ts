import { BigIntType, EntitySchema, OptionalProps } from '@mikro-orm/core';
import type { Bet } from '../bets/entity.ts';
import { SeedPairEntity, type SeedPair } from '../fairness/entity.ts';

export interface Round {
  /** Read-side views of columns written through betId, seedPairId and created_at. */
  [OptionalProps]?: 'bet' | 'seedPair' | 'positionAt';
  id: string;
  operatorId: string;
  playerId: string;
  betId: string;
  seedPairId: string;
  /**
   * The bet this round settles (rounds.bet_id, unique), for reads that join it by its
   * primary key; written through `betId`.
   */
  bet: Bet;
  /** The seed pair the outcome was drawn from (rounds.seed_pair_id), for reads; written through `seedPairId`. */
  seedPair: SeedPair;
  game: string;
  gameVersion: string;
  config: Record<string, unknown>;
  serverSeedHash: string;
  clientSeed: string;
  nonce: number;
  outcome: Record<string, unknown>;
  createdAt: Date;
  /**
   * created_at to the microsecond, as Postgres keeps it (a Date keeps milliseconds): the
   * position a recall page's cursor carries. Computed, and only when asked (`populate`).
   */
  positionAt?: string;
}

export const RoundEntity = new EntitySchema<Round>({
  name: 'Round',
  tableName: 'rounds',
  properties: {
    id: { type: 'uuid', primary: true },
    operatorId: { type: 'uuid' },
    playerId: { type: 'text' },
    betId: { type: 'uuid', unique: true },
    seedPairId: { type: 'uuid' },
    // The same columns as relations, for joins: not written (persist: false), so a new
    // round and its bet, which name each other, need no order between their inserts. The
    // bet by name: bets/entity.ts imports this file (Bet.round).
    bet: { kind: 'm:1', entity: 'Bet', fieldName: 'bet_id', persist: false },
    seedPair: { kind: 'm:1', entity: () => SeedPairEntity, fieldName: 'seed_pair_id', persist: false },
    game: { type: 'text' },
    gameVersion: { type: 'text' },
    config: { type: 'json' },
    serverSeedHash: { type: 'text' },
    clientSeed: { type: 'text' },
    // Within Number.MAX_SAFE_INTEGER (a nonce counts one player's bets): a number, as in SQL reads.
    nonce: { type: new BigIntType('number') },
    outcome: { type: 'json' },
    createdAt: { type: 'Date' },
    positionAt: { type: 'string', lazy: true, formula: (alias) => `to_char(${alias}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` },
  },
});
