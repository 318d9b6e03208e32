import { BigIntType, EntitySchema, OptionalProps, PrimaryKeyProp } from '@mikro-orm/core';
import type { Bet } from '../bets/entity.ts';
import { SeedPairEntity, type SeedPair } from '../fairness/entity.ts';

export interface Round {
  [OptionalProps]?: 'positionAt';
  /** The table's key leads with the operator (migration 0013): so does every lookup. */
  [PrimaryKeyProp]?: ['operatorId', 'id'];
  operatorId: string;
  id: string;
  playerId: string;
  /**
   * The bet this round settles ((operator_id, bet_id), unique), for reads that join it by
   * its primary key. Its key's operator_id is the round's own column (MikroORM writes it
   * once, as operatorId): the relation owns bet_id only.
   */
  bet: Bet;
  /** The seed pair the outcome was drawn from ((operator_id, seed_pair_id)); owns seed_pair_id only, as `bet` does bet_id. */
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
    operatorId: { type: 'uuid', primary: true },
    id: { type: 'uuid', primary: true },
    playerId: { type: 'text' },
    // Relations keyed (operator_id, …) like their tables (migration 0013), so a join never
    // reaches another operator's rows. The bet by name: bets/entity.ts imports this file (Bet.round).
    bet: { kind: 'm:1', entity: 'Bet', joinColumns: ['operator_id', 'bet_id'], referencedColumnNames: ['operator_id', 'id'] },
    seedPair: { kind: 'm:1', entity: () => SeedPairEntity, joinColumns: ['operator_id', 'seed_pair_id'], referencedColumnNames: ['operator_id', 'id'] },
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
