import type { Queryable } from '../../shared/db.ts';

// ── players ──────────────────────────────────────────────────────────────────

/**
 * Inserts the player row unless it exists. Concurrent first inserts of one player wait on
 * the primary key, then do nothing.
 */
export async function insertPlayerIfAbsent(db: Queryable, operatorId: string, playerId: string): Promise<void> {
  await db.query('INSERT INTO players (operator_id, player_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [operatorId, playerId]);
}
