import type { Queryable } from '../../shared/db.ts';

// ── seed_pairs: the player's active pair at session launch ──────────────────

/**
 * Inserts the player's first active pair unless one is active already: concurrent first
 * launches wait on the one-active-pair index, then do nothing.
 */
export async function insertActiveSeedPairIfNone(
  db: Queryable,
  pair: { id: string; operatorId: string; playerId: string; sealedServerSeed: string; serverSeedHash: string; clientSeed: string },
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
