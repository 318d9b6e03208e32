import { EntitySchema } from '@mikro-orm/core';

export interface Round {
  id: string;
  operatorId: string;
  playerId: string;
  betId: string;
  seedPairId: string;
  game: string;
  gameVersion: string;
  config: Record<string, unknown>;
  serverSeedHash: string;
  clientSeed: string;
  nonce: number;
  outcome: Record<string, unknown>;
  createdAt: Date;
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
    game: { type: 'text' },
    gameVersion: { type: 'text' },
    config: { type: 'json' },
    serverSeedHash: { type: 'text' },
    clientSeed: { type: 'text' },
    nonce: { type: 'bigint' },
    outcome: { type: 'json' },
    createdAt: { type: 'Date' },
  },
});
