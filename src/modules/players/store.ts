import type { EntityManager } from '@mikro-orm/postgresql';
import { PlayerEntity } from './entity.ts';

// ── players ──────────────────────────────────────────────────────────────────

/**
 * Inserts the player row unless it exists. Concurrent first inserts of one player wait on
 * the primary key, then do nothing. (The query builder's ON CONFLICT DO NOTHING: `em.upsert`
 * would read the row back when the insert did nothing, a second round trip.)
 */
export async function insertPlayerIfAbsent(em: EntityManager, operatorId: string, playerId: string): Promise<void> {
  await em.createQueryBuilder(PlayerEntity).insert({ operator: operatorId, playerId }).onConflict(['operator', 'playerId']).ignore().execute();
}

/**
 * Locks the player row FOR NO KEY UPDATE for the rest of the caller's transaction: launches,
 * whose session rows only key-share it, stay unblocked. MikroORM's lock modes stop at FOR
 * UPDATE (which would block launches), so the query builder's statement gets the clause
 * from knex and runs on the transaction's connection.
 */
export async function lockPlayerRow(em: EntityManager, operatorId: string, playerId: string): Promise<void> {
  const query = em.createQueryBuilder(PlayerEntity).select('playerId').where({ operator: operatorId, playerId }).getKnexQuery().forNoKeyUpdate();
  await em.getConnection().execute(query, [], 'all', em.getTransactionContext());
}

/** Whether the operator ever launched this player. */
export async function selectPlayerExists(em: EntityManager, operatorId: string, playerId: string): Promise<boolean> {
  return (await em.count(PlayerEntity, { operator: operatorId, playerId })) > 0;
}
