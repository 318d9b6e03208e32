import type { EntityManager } from '@mikro-orm/postgresql';
import type { DbClient, Queryable } from '../../shared/db.ts';
import { SeedPairEntity, type SeedPair } from './entity.ts';

/** A seed pair about to be inserted: its server seed already sealed (sealed-seeds.ts newSeedPair). */
export interface NewSeedPair {
  id: string;
  operatorId: string;
  playerId: string;
  sealedServerSeed: string;
  serverSeedHash: string;
  clientSeed: string;
}

// ── seed_pairs: the player's active pair at session launch ──────────────────

/**
 * Inserts the player's first active pair unless one is active already: concurrent first
 * launches wait on the one-active-pair index, then do nothing.
 */
export async function insertActiveSeedPairIfNone(
  db: Queryable,
  pair: NewSeedPair,
): Promise<void> {
  await db.query(
    `INSERT INTO seed_pairs (id, operator_id, player_id, server_seed, server_seed_hash, client_seed)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (operator_id, player_id) WHERE active DO NOTHING`,
    [pair.id, pair.operatorId, pair.playerId, pair.sealedServerSeed, pair.serverSeedHash, pair.clientSeed],
  );
}

/** Replaces the client seed of the player's active pair; its nonce sequence goes on. */
export async function updateActiveClientSeed(db: Queryable, operatorId: string, playerId: string, clientSeed: string): Promise<void> {
  await db.query('UPDATE seed_pairs SET client_seed = $3 WHERE operator_id = $1 AND player_id = $2 AND active', [
    operatorId,
    playerId,
    clientSeed,
  ]);
}

/** The player's active pair (at most one: the seed_pairs_one_active index). */
export async function findActiveSeedPair(em: EntityManager, operatorId: string, playerId: string): Promise<SeedPair | null> {
  return em.findOne(SeedPairEntity, { operatorId, playerId, active: true });
}

// ── seed_pairs: rotation (rotation.ts), in the rotation's transaction ─────────

export interface SeedPairRow {
  id: string;
  server_seed: string;
  server_seed_hash: string;
  client_seed: string;
  next_nonce: number;
}

/** seed_pairs: locks the player's active pair (the lock bet placement takes to draw a nonce); undefined if none. */
export async function lockActiveSeedPair(client: DbClient, operatorId: string, playerId: string): Promise<SeedPairRow | undefined> {
  const { rows } = await client.query<SeedPairRow>(
    `SELECT id, server_seed, server_seed_hash, client_seed, next_nonce
       FROM seed_pairs WHERE operator_id = $1 AND player_id = $2 AND active FOR UPDATE`,
    [operatorId, playerId],
  );
  return rows[0];
}

/** seed_pairs: retires a pair and stores its server seed, revealed, in clear. */
export async function revealSeedPair(client: DbClient, operatorId: string, pairId: string, revealedServerSeed: string): Promise<void> {
  await client.query('UPDATE seed_pairs SET active = false, revealed_at = now(), server_seed = $3 WHERE operator_id = $1 AND id = $2', [
    operatorId,
    pairId,
    revealedServerSeed,
  ]);
}

/** seed_pairs: a new active pair at nonce 0 (its server seed sealed). */
export async function insertSeedPair(
  client: DbClient,
  pair: NewSeedPair,
): Promise<void> {
  await client.query(
    `INSERT INTO seed_pairs (id, operator_id, player_id, server_seed, server_seed_hash, client_seed, next_nonce)
     VALUES ($1, $2, $3, $4, $5, $6, 0)`,
    [pair.id, pair.operatorId, pair.playerId, pair.sealedServerSeed, pair.serverSeedHash, pair.clientSeed],
  );
}
