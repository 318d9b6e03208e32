import type { Logger } from 'pino';
import type { RedisTarget } from '../../config/redis-target.ts';
import { withTransaction, type Db } from '../../shared/db.ts';
import { createRedis } from '../../shared/redis.ts';
import { listOperatorIds } from '../operators/service.ts';
import { lockRelay, rebaseRelayOrder, selectRelayCursorAhead } from './store.ts';
import { positionKey } from './stream-append.ts';

// The relay's order is the writing transaction's id (migrations/0005-event-relay-cursor.ts).
// Transaction ids only go forward on one Postgres cluster, but a database restored from a
// logical dump (pg_dump, logical replication) into another cluster starts over at low ids
// while its rows and the cursor keep the old, higher ones: every new event would sort
// below the cursor and never be relayed, and the streams' positions would skip them too.
// The symptom is exact: the cursor is at or above the oldest transaction still running,
// which cannot happen on the cluster that wrote it. Each node checks before it writes
// anything, so every event then in the table is from before the restore: those the cursor
// had passed take txid 1 and the cursor sits after them; the rest take txid 2, ahead of
// it and below every new transaction, and are relayed next, in seq order.

/** Rebases the relay's order if transaction ids went back (a logical restore); true if it did. */
export async function rebaseEventRelayAfterRestore(options: { db: Db; redis: RedisTarget; redisPrefix: string; logger: Logger }): Promise<boolean> {
  const { db } = options;
  const redis = createRedis(options.redis, options.redisPrefix, 'relay-rebase');
  try {
    return await withTransaction(db, async (client) => {
      // The relay's own lock: no pass runs meanwhile, and nodes starting together rebase once.
      await lockRelay(client);
      const cursor = await selectRelayCursorAhead(client);
      if (!cursor?.ahead) return false;
      const eventsRebased = await rebaseRelayOrder(client);
      // Before the commit: a pass after it must not meet a position from the old ids.
      const operatorIds = await listOperatorIds(db.orm.em.fork());
      // One DEL per key: on a cluster each operator's keys are in a slot of their own.
      await Promise.all(operatorIds.map((id) => redis.del(positionKey(id))));
      options.logger.warn(
        { oldCursorTxid: cursor.txid, eventsRebased },
        'event relay: transaction ids went back (a database restored into another Postgres cluster?); relay order rebased',
      );
      return true;
    });
  } finally {
    redis.disconnect();
  }
}
