import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../shared/db.ts';
import { resealTable, type ResealResult, type SealedTable } from '../../shared/reseal-table.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { generateClientSeed, generateServerSeed, hashServerSeed } from './seeds.ts';
import type { NewSeedPair } from './store.ts';

// SPEC §5/§11: a server seed is stored sealed (src/shared/secrets-keyring.ts) for as long
// as it is secret, and in clear once rotation revealed it (it is public then, and the
// round views read it straight from the row). Migration 0007 makes Postgres refuse an
// unrevealed seed in clear.

const context = (pairId: string) => `seed_pairs.server_seed:${pairId}`;

const seedPairs: SealedTable = {
  table: 'seed_pairs',
  // Unrevealed: active, or (never, but kept sealed if so) retired without a reveal.
  scope: 'active OR revealed_at IS NULL',
  columns: { server_seed: context },
};

/**
 * A fresh pair for a player (SPEC §5): a new server seed (or the demo data's, see
 * ensureActiveSeedPair), sealed, with its hash, and the given or a random client seed.
 */
export function newSeedPair(keyring: SecretsKeyring, owner: { operatorId: string; playerId: string; clientSeed: string | undefined }, serverSeed = generateServerSeed()): NewSeedPair {
  const id = randomUUID();
  return {
    id,
    operatorId: owner.operatorId,
    playerId: owner.playerId,
    sealedServerSeed: sealServerSeed(keyring, id, serverSeed),
    serverSeedHash: hashServerSeed(serverSeed),
    clientSeed: owner.clientSeed ?? generateClientSeed(),
  };
}

export function sealServerSeed(keyring: SecretsKeyring, pairId: string, serverSeed: string): string {
  return keyring.seal(serverSeed, context(pairId));
}

/**
 * The seed of a pair as stored. A value in clear is a seed stored before migration 0007
 * that no node sealed yet (a node seals those when it starts): a server seed is 64 hex
 * characters, so it cannot be mistaken for a sealed one.
 */
export function openServerSeed(keyring: SecretsKeyring, pairId: string, stored: string): string {
  return keyring.isSealed(stored) ? keyring.open(stored, context(pairId)) : stored;
}

/** Seals unrevealed seeds again: those in clear (`clear`), or all not under the current key (`not-current`). */
export function resealServerSeeds(db: Queryable, keyring: SecretsKeyring, options: { mode: 'clear' | 'not-current'; batchSize: number }): Promise<ResealResult> {
  return resealTable(db, keyring, seedPairs, options);
}
