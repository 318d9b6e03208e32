import { Migration } from '@mikro-orm/migrations';

/**
 * Issue #19 point 1: a relay pass opens with one round trip instead of two.
 *
 * `rgs_relay_open_pass(lock_key, batch)` tries the relay's advisory lock and, only if it got
 * it, reads the batch, in that order: the read is a statement of its own inside the
 * function, so under READ COMMITTED it takes its snapshot after the lock (a read in the
 * same statement as the lock would not). plpgsql keeps the read's plan per connection,
 * as the named statement it replaces did. The caller sends it in one simple query with
 * `BEGIN` and `SET LOCAL synchronous_commit = off` (src/modules/events/store.ts).
 *
 * Rows: one with `locked = false` and nothing else if another node holds the lock;
 * otherwise `held_back` (committed events wait behind a transaction still running),
 * `cursor_ahead` (the cursor is at or above the oldest running transaction: a restore under
 * running nodes) and the events to relay in (txid, seq) order, or one row without an event.
 * Each event says whether its operator has a webhook URL (`to_webhook`), so that a pass
 * whose operators have none skips the webhook deliveries' statement.
 */
export class RelayPassFunction0014 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE FUNCTION rgs_relay_open_pass(lock_key bigint, batch integer)
  RETURNS TABLE (locked boolean, held_back boolean, cursor_ahead boolean, id uuid, operator_id uuid, type text,
                 data jsonb, occurred_at timestamptz, txid xid8, seq bigint, to_webhook boolean)
  LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  IF NOT pg_try_advisory_xact_lock(lock_key) THEN
    RETURN QUERY SELECT false, false, false, NULL::uuid, NULL::uuid, NULL::text, NULL::jsonb, NULL::timestamptz, NULL::xid8, NULL::bigint, NULL::boolean;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT true, h.held_back, h.cursor_ahead, e.id, e.operator_id, e.type, e.data, e.occurred_at, e.txid, e.seq,
           EXISTS (SELECT 1 FROM operators o WHERE o.id = e.operator_id AND o.webhook_url IS NOT NULL)
      FROM (
        SELECT EXISTS (SELECT 1 FROM events WHERE txid >= pg_snapshot_xmin(pg_current_snapshot())) AS held_back,
               (SELECT c.txid >= pg_snapshot_xmin(pg_current_snapshot()) FROM event_relay_cursor c) AS cursor_ahead
      ) h
      LEFT JOIN LATERAL (
        SELECT u.id, u.operator_id, u.type, u.data, u.occurred_at, u.txid, u.seq FROM unrelayed_events u
         WHERE u.txid < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY u.txid, u.seq LIMIT batch
      ) e ON true
     ORDER BY e.txid, e.seq;
END
$$;
`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP FUNCTION rgs_relay_open_pass(bigint, integer);');
  }
}
