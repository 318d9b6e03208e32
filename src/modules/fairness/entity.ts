import { EntitySchema } from '@mikro-orm/core';

/**
 * SPEC §5: a player's seed pair; `serverSeed` never leaves the server before reveal, and
 * is stored sealed until then (sealed-seeds.ts), in clear once revealed.
 */
export interface SeedPair {
  id: string;
  operatorId: string;
  playerId: string;
  serverSeed: string;
  serverSeedHash: string;
  clientSeed: string;
  nextNonce: number;
  active: boolean;
  createdAt: Date;
  revealedAt: Date | null;
}

export const SeedPairEntity = new EntitySchema<SeedPair>({
  name: 'SeedPair',
  tableName: 'seed_pairs',
  properties: {
    id: { type: 'uuid', primary: true },
    operatorId: { type: 'uuid' },
    playerId: { type: 'text' },
    serverSeed: { type: 'text', hidden: true },
    serverSeedHash: { type: 'text' },
    clientSeed: { type: 'text' },
    nextNonce: { type: 'bigint' },
    active: { type: 'boolean' },
    createdAt: { type: 'Date' },
    revealedAt: { type: 'Date', nullable: true },
  },
});
