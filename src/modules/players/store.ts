import type { Queryable } from '../../shared/db.ts';

// ── players ──────────────────────────────────────────────────────────────────

/**
 * Inserts the player row unless it exists. Concurrent first inserts of one player wait on
 * the primary key, then do nothing.
 */
export async function insertPlayerIfAbsent(db: Queryable, operatorId: string, playerId: string): Promise<void> {
  await db.query('INSERT INTO players (operator_id, player_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [operatorId, playerId]);
}

/**
 * Locks the player row FOR NO KEY UPDATE for the rest of the caller's transaction: launches,
 * whose session rows only key-share it, stay unblocked.
 */
export async function lockPlayerRow(db: Queryable, operatorId: string, playerId: string): Promise<void> {
  await db.query('SELECT 1 FROM players WHERE operator_id = $1 AND player_id = $2 FOR NO KEY UPDATE', [operatorId, playerId]);
}

/** Whether the operator ever launched this player. */
export async function selectPlayerExists(db: Queryable, operatorId: string, playerId: string): Promise<boolean> {
  const player = await db.query('SELECT 1 FROM players WHERE operator_id = $1 AND player_id = $2', [operatorId, playerId]);
  return (player.rowCount ?? 0) > 0;
}
