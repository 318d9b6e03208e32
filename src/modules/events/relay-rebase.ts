import type { Logger } from 'pino';
import { withTransaction, type Db } from '../../shared/db.ts';
import { createRedis } from '../../shared/redis.ts';
import { RELAY_LOCK_KEY } from './relay.ts';
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

const CURSOR_AHEAD = `SELECT txid::text AS txid, txid >= pg_snapshot_xmin(pg_current_snapshot()) AS ahead FROM event_relay_cursor`;
const REBASE_EVENTS = `
UPDATE events e SET txid = CASE WHEN (e.txid, e.seq) <= (c.txid, c.seq) THEN '1'::xid8 ELSE '2'::xid8 END
  FROM event_relay_cursor c
 WHERE e.txid > '2'::xid8`;
const REBASE_CURSOR = `UPDATE event_relay_cursor SET txid = '1', seq = coalesce((SELECT max(seq) FROM events WHERE txid = '1'), 0)`;

/** Rebases the relay's order if transaction ids went back (a logical restore); true if it did. */
export async function rebaseEventRelayAfterRestore(options: { db: Db; redisUrl: string; redisPrefix: string; logger: Logger }): Promise<boolean> {
  const { db } = options;
  const redis = createRedis(options.redisUrl, options.redisPrefix, 'relay-rebase');
  try {
    return await withTransaction(db, async (client) => {
      // The relay's own lock: no pass runs meanwhile, and nodes starting together rebase once.
      await client.query('SELECT pg_advisory_xact_lock($1)', [RELAY_LOCK_KEY]);
      const { rows } = await client.query<{ txid: string; ahead: boolean }>(CURSOR_AHEAD);
      if (!rows[0]?.ahead) return false;
      const events = await client.query(REBASE_EVENTS);
      await client.query(REBASE_CURSOR);
      // Before the commit: a pass after it must not meet a position from the old ids.
      const operators = await client.query<{ id: string }>('SELECT id FROM operators');
      if (operators.rows.length > 0) await redis.del(...operators.rows.map((row) => positionKey(row.id)));
      options.logger.warn(
        { oldCursorTxid: rows[0].txid, eventsRebased: events.rowCount },
        'event relay: transaction ids went back (a database restored into another Postgres cluster?); relay order rebased',
      );
      return true;
    });
  } finally {
    redis.disconnect();
  }
}
