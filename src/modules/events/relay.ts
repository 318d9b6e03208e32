import type { QueryResult } from 'pg';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../../shared/db.ts';
import { eventRelayLagSeconds, eventsRelayedTotal } from '../../shared/metrics.ts';
import { appendEvents, defineAppendEvents, type StreamEvent, type StreamRetention } from './stream-append.ts';

// Names "the event relay" among advisory locks: one relay pass at a time cluster-wide,
// so events reach each stream in commit-visible order (a bet's events stay in order).
export const RELAY_LOCK_KEY = 7_346_203;
const BATCH = 1_000;

// Events are relayed in (txid, seq) order, and only those of transactions below the
// snapshot's xmin (the oldest transaction still running): every such transaction has
// ended, and none that ends later can sort below them, so the cursor never skips an event
// that commits late (migrations/0005-event-relay-cursor.ts). A bet's steps are separate
// transactions, one after the other, so its events keep their order.
//
// A pass opens its transaction and tries the lock in one round trip (a simple query of
// utility statements and a one-line SELECT), then reads the batch with a statement of its
// own, taken after the lock: a read in the same statement as the lock would use a snapshot
// from before it. The batch read is a named statement, planned once per connection: sent
// with the simple query, Postgres planned it again on every pass (0.4 ms of planning
// against 0.2 of execution, pg_stat_statements).
// `held_back` says whether committed events wait behind a transaction still running.
const OPEN_PASS = `BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}) AS locked`;
const READ_BATCH = `
SELECT h.held_back, h.cursor_ahead, e.id, e.operator_id, e.type, e.data, e.occurred_at, e.txid, e.seq
  FROM (
    SELECT EXISTS (SELECT 1 FROM events WHERE txid >= pg_snapshot_xmin(pg_current_snapshot())) AS held_back,
           (SELECT txid >= pg_snapshot_xmin(pg_current_snapshot()) FROM event_relay_cursor) AS cursor_ahead
  ) h
  LEFT JOIN LATERAL (
    SELECT id, operator_id, type, data, occurred_at, txid, seq FROM unrelayed_events
     WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY txid, seq LIMIT ${BATCH}
  ) e ON true
 ORDER BY e.txid, e.seq`;
const ADVANCE_CURSOR = `UPDATE event_relay_cursor SET txid = $1::xid8, seq = $2 WHERE (txid, seq) < ($1::xid8, $2)`;
const LOCK_RETRY_MS = 20;
const COALESCE_MS = 10;

interface EventRow {
  id: string;
  operator_id: string;
  type: string;
  data: Record<string, unknown>;
  occurred_at: Date;
  /** xid8: node-pg leaves it a string (it can exceed 2^53). */
  txid: string;
  seq: number;
}

/** A row of READ_BATCH: an event, unless there was none to relay. */
type BatchRow = { held_back: boolean; cursor_ahead: boolean } & (EventRow | Record<keyof EventRow, null>);

/** What a pass did: `relayed` is -1 if another node holds the relay lock. */
interface PassResult {
  relayed: number;
  heldBack: boolean;
}

/** An event as SSE frames and webhook bodies carry it (SPEC §7): `{id, type, operatorId, occurredAt, data}`. */
export function eventJson(row: { id: string; operator_id: string; type: string; data: unknown; occurred_at: Date }): string {
  return JSON.stringify({ id: row.id, type: row.type, operatorId: row.operator_id, occurredAt: row.occurred_at.toISOString(), data: row.data });
}

/** An event of a pass, with the JSON appended to its stream (`eventJson`). */
export interface RelayedEvent {
  id: string;
  operatorId: string;
  json: string;
}

/**
 * What else happens to relayed events: webhook deliveries, created in the relay's
 * transaction (`inTransaction`), whose first attempts go out after its commit (`afterCommit`).
 */
export interface RelayedEventHooks<Created> {
  inTransaction(client: Queryable, events: RelayedEvent[]): Promise<Created>;
  afterCommit(created: Created): Promise<void>;
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
export function startEventRelay<Created>(deps: {
  db: Db;
  redis: Redis;
  logger: Logger;
  retention: StreamRetention;
  intervalMs: number;
  hooks: RelayedEventHooks<Created>;
}): EventRelay {
  const { db, redis, logger } = deps;
  defineAppendEvents(redis);
  let warnedCursorAhead = false;

  /** One batch. */
  async function pass(): Promise<PassResult> {
    const client = await db.connect();
    try {
      // Moving the cursor needs no fsync wait: if a crash loses this commit, the events are
      // relayed again, and each stream's position keeps them from being appended twice.
      const opened = (await client.query(OPEN_PASS)) as unknown as QueryResult<{ locked: boolean }>[];
      if (!opened.at(-1)?.rows[0]?.locked) {
        await client.query('ROLLBACK');
        return { relayed: -1, heldBack: false };
      }
      const { rows: batch } = await client.query<BatchRow>({ name: 'relay-read-batch', text: READ_BATCH });
      const first = batch[0]!; // one row at least: the outer query has one
      if (first.cursor_ahead) {
        // Transaction ids went back under a running node (relay-rebase.ts runs at startup).
        await client.query('ROLLBACK');
        if (!warnedCursorAhead) {
          logger.error(
            'event relay: the relay cursor is ahead of this Postgres cluster\'s transaction ids (a restore while nodes were running?); nothing is relayed until the nodes are restarted',
          );
          warnedCursorAhead = true;
        }
        return { relayed: 0, heldBack: false };
      }
      const heldBack = first.held_back;
      const rows = batch.filter((row): row is BatchRow & EventRow => row.id !== null);
      const last = rows.at(-1);
      if (!last) {
        await client.query('COMMIT');
        return { relayed: 0, heldBack };
      }
      const relayed: RelayedEvent[] = [];
      const byOperator = new Map<string, StreamEvent[]>();
      for (const row of rows) {
        const json = eventJson(row);
        relayed.push({ id: row.id, operatorId: row.operator_id, json });
        const events = byOperator.get(row.operator_id) ?? [];
        events.push({ txid: row.txid, seq: String(row.seq), json });
        byOperator.set(row.operator_id, events);
      }
      // One script call per operator stream, in one round trip.
      const pipeline = redis.pipeline();
      for (const [operatorId, events] of byOperator) appendEvents(pipeline, operatorId, events, deps.retention);
      const results = (await pipeline.exec()) ?? [];
      for (const [error] of results) if (error) throw error;
      await client.query({ name: 'relay-advance-cursor', text: ADVANCE_CURSOR, values: [last.txid, last.seq] });
      const created = await deps.hooks.inTransaction(client, relayed);
      await client.query('COMMIT');
      const now = Date.now();
      eventsRelayedTotal.inc(rows.length);
      for (const row of rows) eventRelayLagSeconds.observe((now - row.occurred_at.getTime()) / 1000);
      await deps.hooks.afterCommit(created);
      return { relayed: rows.length, heldBack };
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
  // Passes in a row that found events held back and relayed none: a transaction left open
  // somewhere. The pause between passes doubles with each, up to the timer's interval,
  // instead of polling Postgres every 10 ms for as long as that transaction lasts.
  let stalledPasses = 0;

  async function drain(): Promise<void> {
    do {
      again = false;
      for (;;) {
        const { relayed, heldBack } = await pass();
        // Committed events wait behind a transaction still running: look again shortly.
        if (heldBack) again = true;
        if (relayed !== -1) stalledPasses = heldBack && relayed === 0 ? stalledPasses + 1 : 0;
        if (relayed === -1) {
          // Another node is relaying; it may have read before our commit: look again shortly.
          await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
          again = true;
          break;
        }
        if (relayed < BATCH) break;
      }
      // Under load commits keep kicking: pace the passes, so that each carries the
      // events of many commits instead of a few (a pass costs five round trips however
      // few events it carries).
      const pauseMs = Math.min(deps.intervalMs, COALESCE_MS * 2 ** stalledPasses);
      if (again && !stopped) await new Promise((resolve) => setTimeout(resolve, pauseMs));
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
