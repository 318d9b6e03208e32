import type { Queryable } from '../../shared/db.ts';
import { resealColumn, type ResealResult, type SealedColumn } from '../../shared/reseal-column.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';

// SPEC §5/§11: a server seed is stored sealed (src/shared/secrets-keyring.ts) for as long
// as it is secret, and in clear once rotation revealed it (it is public then, and the
// round views read it straight from the row). Migration 0007 makes Postgres refuse an
// unrevealed seed in clear.

const serverSeeds: SealedColumn = {
  table: 'seed_pairs',
  column: 'server_seed',
  // Unrevealed: active, or (never, but kept sealed if so) retired without a reveal.
  scope: 'active OR revealed_at IS NULL',
  context: (pairId) => `seed_pairs.server_seed:${pairId}`,
};

export function sealServerSeed(keyring: SecretsKeyring, pairId: string, serverSeed: string): string {
  return keyring.seal(serverSeed, serverSeeds.context(pairId));
}

/**
 * The seed of a pair as stored. A value in clear is a seed stored before migration 0007
 * that no node sealed yet (a node seals those when it starts): a server seed is 64 hex
 * characters, so it cannot be mistaken for a sealed one.
 */
export function openServerSeed(keyring: SecretsKeyring, pairId: string, stored: string): string {
  return keyring.isSealed(stored) ? keyring.open(stored, serverSeeds.context(pairId)) : stored;
}

/** Seals unrevealed seeds again: those in clear (`clear`), or all not under the current key (`not-current`). */
export function resealServerSeeds(db: Queryable, keyring: SecretsKeyring, options: { mode: 'clear' | 'not-current'; batchSize: number }): Promise<ResealResult> {
  return resealColumn(db, keyring, serverSeeds, options);
}
