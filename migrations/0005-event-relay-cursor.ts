import { Migration } from '@mikro-orm/migrations';

/**
 * The event relay keeps one cursor instead of marking every event row relayed.
 *
 * Marking rows cost a new version of each event row (jsonb and all) and its index
 * entries: about half of all rows updated per bet, and about a sixth of Postgres' time
 * on the benchmark. Now each event row records the transaction that wrote it (`txid`),
 * and the relay reads events in (txid, seq) order up to the oldest transaction still
 * running (the snapshot's xmin). Every transaction below that xmin has ended, and no
 * transaction that starts later can get a lower txid, so an event below the cursor can
 * never appear later: the cursor leaves no holes. See src/modules/events/relay.ts.
 * The unique index on `seq` goes too: nothing reads events by seq alone now, and every
 * event row paid an insert into it.
 *
 * Events not yet relayed when this runs take this migration's txid, so the relay
 * appends them once it commits; their stream ids are not kept (the stream entry carries
 * the event id, which is what a consumer matches on).
 */
export class EventRelayCursor0005 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
ALTER TABLE events ADD COLUMN txid xid8;
UPDATE events SET txid = pg_current_xact_id() WHERE relayed_at IS NULL;
ALTER TABLE events ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
CREATE INDEX events_relay_order ON events (txid, seq);
DROP INDEX events_unrelayed;
-- Nothing reads events by seq alone any more; the identity keeps it unique.
ALTER TABLE events DROP CONSTRAINT events_seq_key;
ALTER TABLE events DROP COLUMN relayed_at, DROP COLUMN stream_id;

-- One row: the (txid, seq) of the last event appended to the streams.
CREATE TABLE event_relay_cursor (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  txid      xid8    NOT NULL,
  seq       bigint  NOT NULL
);
INSERT INTO event_relay_cursor (txid, seq) VALUES ('0', 0);

-- What the relay has yet to append (committed or not), for operators and tests.
CREATE VIEW unrelayed_events AS
  SELECT e.* FROM events e WHERE (e.txid, e.seq) > (SELECT c.txid, c.seq FROM event_relay_cursor c);
`);
  }

  override async down(): Promise<void> {
    this.addSql(`
DROP VIEW unrelayed_events;
ALTER TABLE events ADD COLUMN relayed_at timestamptz, ADD COLUMN stream_id text;
UPDATE events e SET relayed_at = now() FROM event_relay_cursor c WHERE e.txid IS NULL OR (e.txid, e.seq) <= (c.txid, c.seq);
CREATE INDEX events_unrelayed ON events (seq) WHERE relayed_at IS NULL;
DROP TABLE event_relay_cursor;
DROP INDEX events_relay_order;
ALTER TABLE events ADD CONSTRAINT events_seq_key UNIQUE (seq);
ALTER TABLE events DROP COLUMN txid;
`);
  }
}
