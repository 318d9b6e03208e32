import type { EntityManager } from '@mikro-orm/postgresql';
import { insertPlayerIfAbsent, lockPlayerRow, selectPlayerExists } from './store.ts';

/**
 * Makes sure the operator's player exists; call it inside the transaction that first acts
 * for the player (a session launch). Other modules write players only through this.
 */
export async function ensurePlayer(em: EntityManager, operatorId: string, playerId: string): Promise<void> {
  await insertPlayerIfAbsent(em, operatorId, playerId);
}

/**
 * Queues the caller's transaction on the player row (NO KEY UPDATE: launches stay
 * unblocked), so actions on one player that must not interleave (seed rotations) run one
 * after the other. `em` must be in that transaction (`inTransaction`).
 */
export async function lockPlayer(em: EntityManager, operatorId: string, playerId: string): Promise<void> {
  await lockPlayerRow(em, operatorId, playerId);
}

/** Whether the operator ever launched this player (a player with no rounds yet is one). */
export async function playerExists(em: EntityManager, operatorId: string, playerId: string): Promise<boolean> {
  return selectPlayerExists(em, operatorId, playerId);
}
