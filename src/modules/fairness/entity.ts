import { EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';

/**
 * SPEC §5: a player's seed pair; `serverSeed` never leaves the server before reveal, and
 * is stored sealed until then (sealed-seeds.ts), in clear once revealed.
 */
export interface SeedPair {
  /** The table's key leads with the operator (migration 0013): so does every lookup. */
  [PrimaryKeyProp]?: ['operatorId', 'id'];
  operatorId: string;
  id: string;
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
    operatorId: { type: 'uuid', primary: true },
    id: { type: 'uuid', primary: true },
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
