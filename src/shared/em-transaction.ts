import type pg from 'pg';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { borrowedClient, type DbClient } from './db.ts';

/**
 * Runs `work` in one transaction on a fork of `em`: every EntityManager call made with the
 * fork it is given (`find`, `insert`, `nativeUpdate`, …) runs on the transaction's
 * connection; any error rolls it back.
 *
 * Not `em.transactional()`, and no `em.flush()` on the nodes: both enter an
 * AsyncLocalStorage (MikroORM's transaction context, its "inside flush" mark), and on
 * Node 20 once one has been entered every `await` of the process pays async hooks for the
 * rest of its life (a loop of awaits: 56 → 159 ms; +24 % node CPU per bet measured with
 * MikroORM's RequestContext, docs/architecture.md "The EntityManager on the nodes").
 * `npm run lint` refuses those calls in src/ and queues/.
 */
export async function inTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  const connection = em.getConnection('write');
  const trx = await connection.begin();
  const tx = em.fork({ clear: true });
  tx.setTransactionContext(trx);
  try {
    const result = await work(tx);
    await connection.commit(trx);
    return result;
  } catch (error) {
    await connection.rollback(trx).catch(() => undefined);
    throw error;
  } finally {
    tx.resetTransactionContext();
  }
}

/** What knex's transaction client offers: the transaction's one connection. */
interface TransactionClient {
  acquireConnection(): Promise<pg.Client>;
}

/**
 * The connection of the transaction `tx` runs in (`inTransaction`), for the stores of
 * other modules that are still hand-written SQL (audit rows, events, idempotency keys, seed
 * pairs): their statements then commit or roll back with the entity writes.
 */
export async function sqlOf(tx: EntityManager): Promise<DbClient> {
  const trx = tx.getTransactionContext<Knex.Transaction>();
  if (!trx) throw new Error('sqlOf: the EntityManager is not in a transaction (use inTransaction)');
  return borrowedClient(await (trx.client as unknown as TransactionClient).acquireConnection());
}
