import type { QueryResult } from 'pg';
import type { Queryable } from '../../shared/db.ts';
import type { NewEvent, RgsEvent } from './service.ts';

// Every query of the events module: the events rows (appended in their writer's
// transaction), and the relay's statements over events and event_relay_cursor. The
// relay's are set-based on purpose (a batch of up to RELAY_BATCH events per statement, with
// the snapshot's xmin deciding what is safe to relay): see why beside each.

// ——— events: appended by the writer ———

/** events: the rows of `recorded` (ids, types and data) with their players and bets from `events`, in one statement. */
export async function insertEvents(db: Queryable, operatorId: string, occurredAt: string, recorded: RgsEvent[], events: NewEvent[]): Promise<void> {
  await db.query(
    `INSERT INTO events (id, operator_id, type, player_id, bet_id, data, occurred_at)
     SELECT id, $1, type, player_id, bet_id, data, $2
       FROM unnest($3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::jsonb[]) AS e(id, type, player_id, bet_id, data)`,
    [
      operatorId,
      occurredAt,
      recorded.map((e) => e.id),
      recorded.map((e) => e.type),
      events.map((e) => e.playerId ?? null),
      events.map((e) => e.betId ?? null),
      recorded.map((e) => JSON.stringify(e.data)),
    ],
  );
}

// ——— the relay: events → event_relay_cursor ———

// Names "the event relay" among advisory locks: one relay pass at a time cluster-wide,
// so events reach each stream in commit-visible order (a bet's events stay in order).
export const RELAY_LOCK_KEY = 7_346_203;
/** Events per relay pass at most. */
export const RELAY_BATCH = 1_000;

// Events are relayed in (txid, seq) order, and only those of transactions below the
// snapshot's xmin (the oldest transaction still running): every such transaction has
// ended, and none that ends later can sort below them, so the cursor never skips an event
// that commits late (migrations/0005-event-relay-cursor.ts). A bet's steps are separate
// transactions, one after the other, so its events keep their order.
//
// A pass is two round trips to Postgres (issue #19: it was five). The first opens the
// transaction, tries the lock and reads the batch: `rgs_relay_open_pass`
// (migrations/0014-relay-pass-function.ts) reads only after it got the lock, in a statement
// of its own, so its snapshot is taken after the lock. It also says, per event, whether its
// operator has a webhook URL: a read of operators (the webhooks module's insert joins them
// too), so that a pass with none skips that insert. The second moves the cursor and commits.
// `held_back` says whether committed events wait behind a transaction still running.
const OPEN_PASS = `BEGIN; SET LOCAL synchronous_commit = off; SELECT * FROM rgs_relay_open_pass(${RELAY_LOCK_KEY}, ${RELAY_BATCH})`;

export interface EventRow {
  id: string;
  operator_id: string;
  type: string;
  data: Record<string, unknown>;
  occurred_at: Date;
  /** xid8: node-pg leaves it a string (it can exceed 2^53). */
  txid: string;
  seq: number;
  /** Whether the event's operator has a webhook URL (as the pass read it). */
  to_webhook: boolean;
}

/** A row of a pass's batch: an event, unless there was none to relay (or no lock). */
export type BatchRow = { locked: boolean; held_back: boolean; cursor_ahead: boolean } & (EventRow | Record<keyof EventRow, null>);

/**
 * Opens a relay pass's transaction, tries the relay lock and reads the batch (events,
 * unrelayed_events, event_relay_cursor, operators): one row at least, whose `locked` is
 * false if another node holds the lock (the transaction is open either way).
 */
export async function openRelayPass(client: Queryable): Promise<BatchRow[]> {
  // Moving the cursor needs no fsync wait: if a crash loses this commit, the events are
  // relayed again, and each stream's position keeps them from being appended twice.
  const results = (await client.query(OPEN_PASS)) as unknown as QueryResult<BatchRow>[];
  return results.at(-1)!.rows;
}

/**
 * event_relay_cursor: moves past the last relayed event (never back) and commits, in one
 * round trip: a simple query, so the position is written into it as literals, which are
 * checked first (they come from Postgres: an xid8's digits and a bigint).
 */
export async function advanceRelayCursorAndCommit(client: Queryable, txid: string, seq: number): Promise<void> {
  if (!/^\d{1,20}$/.test(txid) || !Number.isSafeInteger(seq) || seq < 0) throw new Error(`event relay: not a relay position: (${txid}, ${seq})`);
  await client.query(`UPDATE event_relay_cursor SET txid = '${txid}'::xid8, seq = ${seq} WHERE (txid, seq) < ('${txid}'::xid8, ${seq}); COMMIT`);
}

/** Ends a relay pass's transaction (or a rebase's). */
export async function commitRelayPass(client: Queryable): Promise<void> {
  await client.query('COMMIT');
}

/** Ends a relay pass's transaction without its changes. */
export async function rollbackRelayPass(client: Queryable): Promise<void> {
  await client.query('ROLLBACK');
}

// ——— the relay's rebase after a logical restore (relay-rebase.ts says when and why) ———

const CURSOR_AHEAD = `SELECT txid::text AS txid, txid >= pg_snapshot_xmin(pg_current_snapshot()) AS ahead FROM event_relay_cursor`;
const REBASE_EVENTS = `
UPDATE events e SET txid = CASE WHEN (e.txid, e.seq) <= (c.txid, c.seq) THEN '1'::xid8 ELSE '2'::xid8 END
  FROM event_relay_cursor c
 WHERE e.txid > '2'::xid8`;
const REBASE_CURSOR = `UPDATE event_relay_cursor SET txid = '1', seq = coalesce((SELECT max(seq) FROM events WHERE txid = '1'), 0)`;

/** Takes the relay's own lock for the rest of the transaction, waiting for a running pass. */
export async function lockRelay(client: Queryable): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [RELAY_LOCK_KEY]);
}

/** event_relay_cursor: its txid, and whether it is at or above the oldest transaction still running. */
export async function selectRelayCursorAhead(client: Queryable): Promise<{ txid: string; ahead: boolean } | undefined> {
  const { rows } = await client.query<{ txid: string; ahead: boolean }>(CURSOR_AHEAD);
  return rows[0];
}

/** events, then event_relay_cursor: rebases the relay order to txids 1 and 2; returns how many events it moved. */
export async function rebaseRelayOrder(client: Queryable): Promise<number> {
  const events = await client.query(REBASE_EVENTS);
  await client.query(REBASE_CURSOR);
  return events.rowCount ?? 0;
}
