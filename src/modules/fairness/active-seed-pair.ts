import type { EntityManager } from '@mikro-orm/postgresql';
import { findActiveSeedPair } from './store.ts';

/** What a player may know of its active seed pair before reveal (SPEC §5): the commitment, never the seed. */
export interface SeedCommitment {
  serverSeedHash: string;
  clientSeed: string;
  /** The nonce the next bet will use. */
  nonce: number;
}

/** The player's active seed pair as shown with its session (SPEC §3); undefined if it has none. */
export async function activeSeedCommitment(em: EntityManager, operatorId: string, playerId: string): Promise<SeedCommitment | undefined> {
  const pair = await findActiveSeedPair(em, operatorId, playerId);
  return pair ? { serverSeedHash: pair.serverSeedHash, clientSeed: pair.clientSeed, nonce: Number(pair.nextNonce) } : undefined;
}
