import type { Queryable } from '../../shared/db.ts';
import { insertPlayerIfAbsent } from './store.ts';

/**
 * Makes sure the operator's player exists; call it inside the transaction that first acts
 * for the player (a session launch). Other modules write players only through this.
 */
export async function ensurePlayer(db: Queryable, operatorId: string, playerId: string): Promise<void> {
  await insertPlayerIfAbsent(db, operatorId, playerId);
}
