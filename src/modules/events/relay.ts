import type { QueryResult } from 'pg';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../../shared/db.ts';
import { eventRelayLagSeconds, eventsRelayedTotal } from '../../shared/metrics.ts';
import { appendEventOnce, defineAppendOnce, type StreamRetention } from './stream-append.ts';

// Names "the event relay" among advisory locks: one relay pass at a time cluster-wide,
// so events reach each stream in commit-visible order (a bet's events stay in order).
const RELAY_LOCK_KEY = 7_346_203;
const BATCH = 1_000;

// The batch is read in the statement that takes the lock, so its snapshot can predate the
// lock by a moment: if another node's pass committed in that moment, some of these events
// are relayed already, and relaying them again is a no-op (appendEventOnce answers the
// first entry id; deliveries are unique per event). Events reach each stream in commit-visible order.
const OPEN_PASS = `
BEGIN;
SET LOCAL synchronous_commit = off;
SELECT l.locked, e.id, e.operator_id, e.type, e.data, e.occurred_at
  FROM (SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) AS locked) l
  LEFT JOIN LATERAL (
    SELECT seq, id, operator_id, type, data, occurred_at FROM events
     WHERE l.locked AND relayed_at IS NULL ORDER BY seq LIMIT ${BATCH}
  ) e ON true
 ORDER BY e.seq`;
const LOCK_RETRY_MS = 20;
const COALESCE_MS = 10;

interface EventRow {
  id: string;
  operator_id: string;
  type: string;
  data: Record<string, unknown>;
  occurred_at: Date;
}

/** A row of OPEN_PASS: the lock's answer, and an event unless there was none to relay. */
type BatchRow = { locked: boolean } & (EventRow | Record<keyof EventRow, null>);

/** What else happens to relayed events: webhook deliveries, created in the relay's transaction. */
export interface RelayedEventHooks {
  inTransaction(client: Queryable, events: { id: string; operatorId: string }[]): Promise<string[]>;
  afterCommit(deliveryIds: string[]): Promise<void>;
}

export interface EventRelay {
  /** Asks for a relay pass now (after a commit that wrote events); concurrent asks coalesce. */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * SPEC §7: every committed event row is appended to its operator's Redis Stream exactly
 * once. Nodes kick a pass right after their own commits; every node also runs a pass on
 * a timer, which relays what a node that died after its commit never did. The append
 * itself is idempotent in Redis, so a pass repeated after a crash never duplicates.
 */
export function startEventRelay(deps: {
  db: Db;
  redis: Redis;
  logger: Logger;
  retention: StreamRetention;
  intervalMs: number;
  hooks: RelayedEventHooks;
}): EventRelay {
  const { db, redis, logger } = deps;
  defineAppendOnce(redis);

  /** One batch: the number relayed, or -1 if another node holds the relay lock. */
  async function pass(): Promise<number> {
    const client = await db.connect();
    try {
      // One round trip opens the transaction, takes the relay lock and reads the batch (a
      // simple query: no parameters, several statements). Marking rows relayed needs no
      // fsync wait: if a crash loses this commit, the rows are relayed again, and the
      // append (keyed by event id) does not duplicate them.
      const opened = (await client.query(OPEN_PASS)) as unknown as QueryResult<BatchRow>[];
      const batch = opened.at(-1)?.rows ?? [];
      if (!batch[0]?.locked) {
        await client.query('ROLLBACK');
        return -1;
      }
      const rows = batch.filter((row): row is { locked: boolean } & EventRow => row.id !== null);
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const pipeline = redis.pipeline();
      for (const row of rows) {
        const json = JSON.stringify({ id: row.id, type: row.type, operatorId: row.operator_id, occurredAt: row.occurred_at.toISOString(), data: row.data });
        appendEventOnce(pipeline, { id: row.id, operatorId: row.operator_id, json }, deps.retention);
      }
      const results = (await pipeline.exec()) ?? [];
      const streamIds = results.map(([error, id]) => {
        if (error) throw error;
        return String(id);
      });
      await client.query(
        `UPDATE events e SET relayed_at = now(), stream_id = r.stream_id
           FROM unnest($1::uuid[], $2::text[]) AS r(id, stream_id) WHERE e.id = r.id`,
        [rows.map((row) => row.id), streamIds],
      );
      const deliveryIds = await deps.hooks.inTransaction(
        client,
        rows.map((row) => ({ id: row.id, operatorId: row.operator_id })),
      );
      await client.query('COMMIT');
      const now = Date.now();
      eventsRelayedTotal.inc(rows.length);
      for (const row of rows) eventRelayLagSeconds.observe((now - row.occurred_at.getTime()) / 1000);
      await deps.hooks.afterCommit(deliveryIds);
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function drain(): Promise<void> {
    do {
      again = false;
      for (;;) {
        const relayed = await pass();
        if (relayed === -1) {
          // Another node is relaying; it may have read before our commit: look again shortly.
          await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
          again = true;
          break;
        }
        if (relayed < BATCH) break;
      }
      // Under load commits keep kicking: pace the passes, so that each carries the
      // events of many commits instead of a few (a pass costs four round trips however
      // few events it carries).
      if (again && !stopped) await new Promise((resolve) => setTimeout(resolve, COALESCE_MS));
    } while (again && !stopped);
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // A moment's wait lets one pass carry the events of many commits.
    running = new Promise((resolve) => setTimeout(resolve, COALESCE_MS))
      .then(drain)
      .catch((error: unknown) => logger.warn({ err: error }, 'event relay pass failed; the next pass retries'))
      .finally(() => {
        running = undefined;
      });
  }

  const timer = setInterval(kick, deps.intervalMs);
  timer.unref();
  kick();

  return {
    kick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
