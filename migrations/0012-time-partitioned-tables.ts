import { Migration } from '@mikro-orm/migrations';

/**
 * Issue #21 point 3: `events`, `webhook_deliveries`, `idempotency_records` and `audit_log`
 * become declarative RANGE-partitioned tables by time, so that old rows leave a whole
 * partition at a time (a DROP, not a DELETE that bloats the table and its indexes).
 *
 * Partition sizes. The first three are dropped after RETENTION_DAYS (default 30): weekly
 * partitions (UTC, Monday 00:00), so about six hold the retained rows. Daily ones would age
 * out closer to RETENTION_DAYS, but several statements cannot name a partition (the relay's
 * order over all events, a webhook attempt addressed by delivery id, an idempotency key of
 * any age), so each statement visits every partition: six, not thirty-eight. A row lives
 * RETENTION_DAYS to RETENTION_DAYS + 7 days. `audit_log` is monthly (UTC), as it is
 * archived a month at a time (`npm run audit:archive`), and never dropped by the product.
 *
 * Every table also gets a DEFAULT partition: an insert never fails for want of a
 * partition, even if partition upkeep (src/modules/partitions/) has not run for weeks. Its
 * rows are never dropped; docs/operations.md says how to move them.
 *
 * Keys. A partitioned table's primary key and unique constraints must contain the
 * partition key, so each gains its time column, and each leads with operator_id where the
 * column is NOT NULL (audit_log.operator_id is null for admin actions before an operator:
 * its key is (id, created_at), its indexes are operator-led as before).
 * - events: PRIMARY KEY (operator_id, id, occurred_at).
 * - webhook_deliveries is partitioned by its EVENT's time (`event_occurred_at`, new), not
 *   its own: the old `event_id UNIQUE REFERENCES events(id)` becomes
 *   UNIQUE (operator_id, event_id, event_occurred_at) and a foreign key on the same three
 *   columns to events' primary key. An event's time is fixed by its id, so the unique key
 *   still allows one delivery per event (the relay's ON CONFLICT), and the foreign key
 *   still guarantees every delivery's event exists: Postgres refuses to detach an events
 *   partition that a delivery still references. A delivery and its event sit in the
 *   partitions of the same week, dropped together (deliveries first).
 *   The attempt statements address a delivery by id alone (the queued job carries only
 *   the id), so `webhook_deliveries_id` indexes it; it goes when the jobs carry the operator.
 * - idempotency_records: PRIMARY KEY (operator_id, scope, key, created_at) no longer keeps a
 *   key once per operator and scope across weeks. A claim (`rgs_claim_idempotency_key`,
 *   below) takes a transaction advisory lock on the key before it looks, which serialises
 *   two claims of one key as the primary key's insert did, in one round trip as before.
 *
 * Rows. Each table is renamed, a partitioned one created in its place with partitions for
 * every week (month) that holds a row and for the next ones, every row copied (identity
 * values kept, OVERRIDING SYSTEM VALUE, and the identities continued after them), the old
 * table dropped, and keys, indexes, the audit triggers, and the `unrelayed_events` view
 * made again. Grants are given by the migrate run (src/shared/app-role.ts): to the
 * partitioned tables only, never to a partition; reads and writes through a partitioned
 * table check its privileges alone. The relay cursor (0005) is unchanged: (txid, seq) of
 * every event is copied. It all runs in the migration's one transaction, holding the four
 * tables: stop the nodes first (a copy of a large table takes minutes).
 *
 * Upkeep. The nodes cannot create or drop tables (they own nothing, SPEC §11), so the
 * upkeep is `rgs_maintain_partitions`, SECURITY DEFINER (it runs as the owner): it creates
 * partitions ahead and drops whole expired partitions of the first three tables, never of
 * audit_log, never a default partition, never an events partition holding an event the
 * relay has not appended or whose delivery is pending (then it says why it kept it). A
 * transaction advisory lock lets one node at a time run it; lock_timeout bounds how long
 * it may wait for (and so hold up) the writers of a table.
 */
export class TimePartitionedTables0012 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
-- ——— the partition upkeep, as functions (used just below to make the first partitions) ———

-- The range [lo, hi) of the partition of \`p_parent\` that holds \`p_at\`: its UTC week or month.
CREATE FUNCTION rgs_partition_range(p_parent text, p_at timestamptz, OUT lo timestamptz, OUT hi timestamptz)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
BEGIN
  IF p_parent = 'audit_log' THEN
    lo := date_trunc('month', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi := (date_trunc('month', p_at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  ELSIF p_parent IN ('events', 'webhook_deliveries', 'idempotency_records') THEN
    lo := date_trunc('week', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi := lo + interval '7 days';
  ELSE
    RAISE EXCEPTION 'rgs_partition_range: % is not a time-partitioned table', p_parent;
  END IF;
END $$;

-- The partition's name: events_p20261207 (week of Monday 7 December 2026), audit_log_p202612.
CREATE FUNCTION rgs_partition_name(p_parent text, p_lo timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT p_parent || '_p' || to_char(p_lo AT TIME ZONE 'UTC', CASE WHEN p_parent = 'audit_log' THEN 'YYYYMM' ELSE 'YYYYMMDD' END)
$$;

-- The partition column of each of the four tables.
CREATE FUNCTION rgs_partition_column(p_parent text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT CASE p_parent WHEN 'events' THEN 'occurred_at' WHEN 'webhook_deliveries' THEN 'event_occurred_at'
                       WHEN 'idempotency_records' THEN 'created_at' WHEN 'audit_log' THEN 'created_at' END
$$;

-- Creates the partition of \`p_parent\` that holds \`p_at\`. Returns 'exists', 'created', or
-- 'default_overlap' when rows of its range already sit in the default partition (Postgres
-- would refuse it): they stay there, and so do later rows of that range.
CREATE FUNCTION rgs_create_partition(p_parent text, p_at timestamptz) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public SET TimeZone = 'UTC' AS $$
DECLARE
  r record := rgs_partition_range(p_parent, p_at);
  part_name text := rgs_partition_name(p_parent, r.lo);
  overlap boolean;
BEGIN
  IF to_regclass(format('public.%I', part_name)) IS NOT NULL THEN RETURN 'exists'; END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)', p_parent || '_default', rgs_partition_column(p_parent), rgs_partition_column(p_parent))
    INTO overlap USING r.lo, r.hi;
  IF overlap THEN RETURN 'default_overlap'; END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part_name, p_parent, r.lo, r.hi);
  IF p_parent = 'audit_log' THEN
    -- A TRUNCATE of the partition itself would not fire the partitioned table's trigger.
    EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()', part_name);
  END IF;
  RETURN 'created';
END $$;

-- One upkeep pass (src/modules/partitions/upkeep.ts runs it on every node; one at a time
-- does the work). Creates the partitions of the next \`p_ahead_days\` of all four tables, then
-- drops the partitions of events, webhook_deliveries and idempotency_records that ended
-- \`p_retention_days\` or more ago. Returns what it did, and what it kept and why.
CREATE FUNCTION rgs_maintain_partitions(p_retention_days integer, p_ahead_days integer)
RETURNS TABLE (parent text, partition_name text, action text, detail text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public SET TimeZone = 'UTC' SET lock_timeout = '1s' AS $$
DECLARE
  t text;
  cur timestamptz;
  p record;
  kept boolean;
BEGIN
  -- SPEC §7 keeps stream history at least 24 h; RETENTION_DAYS is checked against the
  -- node's own stream retention (src/config/env.ts). This floor holds for any caller.
  IF p_retention_days IS NULL OR p_retention_days < 1 THEN RAISE EXCEPTION 'retention must be at least 1 day, not %', p_retention_days; END IF;
  IF p_ahead_days IS NULL OR p_ahead_days < 1 OR p_ahead_days > 366 THEN RAISE EXCEPTION 'ahead must be 1 to 366 days, not %', p_ahead_days; END IF;
  -- The lease: one node's pass at a time; the others return nothing.
  IF NOT pg_try_advisory_xact_lock(7346204) THEN RETURN; END IF;

  FOREACH t IN ARRAY ARRAY['events', 'webhook_deliveries', 'idempotency_records', 'audit_log'] LOOP
    cur := now();
    WHILE cur <= now() + p_ahead_days * interval '1 day' LOOP
      parent := t;
      partition_name := rgs_partition_name(t, (rgs_partition_range(t, cur)).lo);
      detail := NULL;
      BEGIN
        action := rgs_create_partition(t, cur);
      EXCEPTION WHEN lock_not_available THEN
        action := 'lock_timeout';
      END;
      IF action <> 'exists' THEN RETURN NEXT; END IF;
      cur := (rgs_partition_range(t, cur)).hi;
    END LOOP;
  END LOOP;

  -- Deliveries before events: a delivery's foreign key holds its event's partition.
  FOR p IN
    SELECT c.relname AS name, parent_table.relname AS parent_name,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([^'']+)''\\)')::timestamptz AS hi
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class parent_table ON parent_table.oid = i.inhparent
     WHERE parent_table.relname IN ('webhook_deliveries', 'events', 'idempotency_records')
       AND parent_table.relnamespace = 'public'::regnamespace
       AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
     ORDER BY array_position(ARRAY['webhook_deliveries', 'events', 'idempotency_records'], parent_table.relname::text), 3
  LOOP
    CONTINUE WHEN p.hi > now() - p_retention_days * interval '1 day';
    parent := p.parent_name;
    partition_name := p.name;
    detail := NULL;
    BEGIN
      IF p.parent_name = 'webhook_deliveries' THEN
        -- Taken first, so no attempt changes a delivery between the look and the drop.
        LOCK TABLE webhook_deliveries IN ACCESS EXCLUSIVE MODE;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE status = ''pending'')', p.name) INTO kept;
        IF kept THEN
          action := 'kept_pending_deliveries';
        ELSE
          EXECUTE format('DROP TABLE %I', p.name);
          action := 'dropped';
        END IF;
      ELSIF p.parent_name = 'events' THEN
        -- Taken first, so no event is written or relayed between the look and the drop.
        LOCK TABLE events IN ACCESS EXCLUSIVE MODE;
        -- Not yet appended to its stream: above the relay cursor (events relayed before
        -- migration 0005 have no txid and are all appended).
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I e, event_relay_cursor c WHERE (e.txid, e.seq) > (c.txid, c.seq))', p.name) INTO kept;
        IF kept THEN
          action := 'kept_unrelayed';
        ELSE
          -- A referenced partition cannot be dropped while attached; the detach fails if a
          -- delivery (one kept pending above, or in the default partition) still refers to it.
          EXECUTE format('ALTER TABLE events DETACH PARTITION %I', p.name);
          EXECUTE format('DROP TABLE %I', p.name);
          action := 'dropped';
        END IF;
      ELSE
        EXECUTE format('DROP TABLE %I', p.name);
        action := 'dropped';
      END IF;
    EXCEPTION
      WHEN lock_not_available THEN action := 'lock_timeout';
      WHEN foreign_key_violation THEN action := 'kept_referenced'; detail := SQLERRM;
    END;
    RETURN NEXT;
  END LOOP;
END $$;

-- Claims an idempotency key in the caller's transaction: true if this call inserted its row
-- (no answer yet, status 0), false if the key has one. The lock waits for a concurrent claim
-- of the same key to end; the look is a statement after it, so in READ COMMITTED it sees
-- that claim's commit. Keys whose hashes collide only wait on each other. A function so
-- that the lock and the look are one round trip (the nodes' own role runs it: INVOKER).
CREATE FUNCTION rgs_claim_idempotency_key(p_operator_id uuid, p_scope text, p_key text, p_request_hash text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = public AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7346205, hashtext(p_operator_id::text || ':' || p_scope || ':' || p_key));
  INSERT INTO idempotency_records (operator_id, scope, key, request_hash, response_status, response_body)
    SELECT p_operator_id, p_scope, p_key, p_request_hash, 0, '{}'
     WHERE NOT EXISTS (SELECT 1 FROM idempotency_records r WHERE r.operator_id = p_operator_id AND r.scope = p_scope AND r.key = p_key);
  RETURN FOUND;
END $$;

-- ——— events ———

DROP VIEW unrelayed_events;
ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_0011;
ALTER TABLE events RENAME TO events_0011;
ALTER TABLE idempotency_records RENAME TO idempotency_records_0011;
ALTER TABLE audit_log RENAME TO audit_log_0011;

CREATE TABLE events (
  id          uuid        NOT NULL,
  seq         bigint      GENERATED ALWAYS AS IDENTITY,
  operator_id uuid        NOT NULL,
  type        text        NOT NULL,
  player_id   text,
  bet_id      uuid,
  data        jsonb       NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  txid        xid8        DEFAULT pg_current_xact_id()
) PARTITION BY RANGE (occurred_at);

CREATE TABLE webhook_deliveries (
  id                uuid        NOT NULL,
  operator_id       uuid        NOT NULL,
  event_id          uuid        NOT NULL,
  event_occurred_at timestamptz NOT NULL,
  status            text        NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          integer     NOT NULL DEFAULT 0,
  last_status_code  integer,
  last_error        text,
  next_attempt_at   timestamptz,
  delivered_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (event_occurred_at);

CREATE TABLE idempotency_records (
  operator_id     uuid        NOT NULL,
  scope           text        NOT NULL,
  key             text        NOT NULL,
  request_hash    text        NOT NULL,
  response_status integer     NOT NULL,
  response_body   jsonb       NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (created_at);

CREATE TABLE audit_log (
  id          bigint      GENERATED ALWAYS AS IDENTITY,
  operator_id uuid,
  actor       text        NOT NULL,
  action      text        NOT NULL,
  player_id   text,
  bet_id      uuid,
  data        jsonb       NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (created_at);

CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE TABLE webhook_deliveries_default PARTITION OF webhook_deliveries DEFAULT;
CREATE TABLE idempotency_records_default PARTITION OF idempotency_records DEFAULT;
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;

-- A partition for each week (month) from the oldest row's to the one 7 days (a month) ahead.
DO $$
DECLARE
  t text;
  oldest timestamptz;
  cur timestamptz;
BEGIN
  FOREACH t IN ARRAY ARRAY['events', 'webhook_deliveries', 'idempotency_records', 'audit_log'] LOOP
    EXECUTE CASE t
      WHEN 'events' THEN 'SELECT min(occurred_at) FROM events_0011'
      WHEN 'webhook_deliveries' THEN 'SELECT min(e.occurred_at) FROM webhook_deliveries_0011 d JOIN events_0011 e ON e.id = d.event_id'
      WHEN 'idempotency_records' THEN 'SELECT min(created_at) FROM idempotency_records_0011'
      ELSE 'SELECT min(created_at) FROM audit_log_0011' END
      INTO oldest;
    cur := least(coalesce(oldest, now()), now());
    WHILE cur <= now() + CASE WHEN t = 'audit_log' THEN interval '1 month' ELSE interval '7 days' END LOOP
      PERFORM rgs_create_partition(t, cur);
      cur := (rgs_partition_range(t, cur)).hi;
    END LOOP;
  END LOOP;
END $$;

INSERT INTO events (id, seq, operator_id, type, player_id, bet_id, data, occurred_at, txid) OVERRIDING SYSTEM VALUE
  SELECT id, seq, operator_id, type, player_id, bet_id, data, occurred_at, txid FROM events_0011;
SELECT setval(pg_get_serial_sequence('events', 'seq'), max(seq)) FROM events HAVING max(seq) IS NOT NULL;

INSERT INTO webhook_deliveries (id, operator_id, event_id, event_occurred_at, status, attempts, last_status_code, last_error,
                                next_attempt_at, delivered_at, created_at, updated_at)
  SELECT d.id, d.operator_id, d.event_id, e.occurred_at, d.status, d.attempts, d.last_status_code, d.last_error,
         d.next_attempt_at, d.delivered_at, d.created_at, d.updated_at
    FROM webhook_deliveries_0011 d JOIN events_0011 e ON e.id = d.event_id;

INSERT INTO idempotency_records (operator_id, scope, key, request_hash, response_status, response_body, created_at)
  SELECT operator_id, scope, key, request_hash, response_status, response_body, created_at FROM idempotency_records_0011;

INSERT INTO audit_log (id, operator_id, actor, action, player_id, bet_id, data, created_at) OVERRIDING SYSTEM VALUE
  SELECT id, operator_id, actor, action, player_id, bet_id, data, created_at FROM audit_log_0011;
SELECT setval(pg_get_serial_sequence('audit_log', 'id'), max(id)) FROM audit_log HAVING max(id) IS NOT NULL;

-- The old audit trail refuses TRUNCATE and DELETE, not DROP (only the owner may drop it).
DROP TABLE webhook_deliveries_0011, events_0011, idempotency_records_0011, audit_log_0011;

ALTER TABLE events ADD PRIMARY KEY (operator_id, id, occurred_at);
CREATE INDEX events_relay_order ON events (txid, seq);

ALTER TABLE webhook_deliveries ADD PRIMARY KEY (operator_id, id, event_occurred_at);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_event_key UNIQUE (operator_id, event_id, event_occurred_at);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_event_fkey
  FOREIGN KEY (operator_id, event_id, event_occurred_at) REFERENCES events (operator_id, id, occurred_at);
CREATE INDEX webhook_deliveries_id ON webhook_deliveries (id);
CREATE INDEX webhook_deliveries_operator_status ON webhook_deliveries (operator_id, status, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_operator_created ON webhook_deliveries (operator_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

ALTER TABLE idempotency_records ADD PRIMARY KEY (operator_id, scope, key, created_at);

ALTER TABLE audit_log ADD PRIMARY KEY (id, created_at);
CREATE INDEX audit_operator_created ON audit_log (operator_id, created_at DESC, id DESC);
CREATE INDEX audit_operator_action_created ON audit_log (operator_id, action, created_at DESC, id DESC);
CREATE INDEX audit_operator_player_created ON audit_log (operator_id, player_id, created_at DESC, id DESC);
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log_default
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE VIEW unrelayed_events AS
  SELECT e.* FROM events e WHERE (e.txid, e.seq) > (SELECT c.txid, c.seq FROM event_relay_cursor c);

-- Only the nodes' upkeep pass is theirs to call; the other functions are its parts.
REVOKE EXECUTE ON FUNCTION rgs_create_partition(text, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION rgs_maintain_partitions(integer, integer) FROM PUBLIC;
`);
  }

  override async down(): Promise<void> {
    // Back to one table each, every row kept (the foreign key and keys of 0001/0005/0006).
    this.addSql(`
DROP VIEW unrelayed_events;
CREATE TABLE events_0012 AS SELECT id, seq, operator_id, type, player_id, bet_id, data, occurred_at, txid FROM events;
CREATE TABLE webhook_deliveries_0012 AS SELECT * FROM webhook_deliveries;
CREATE TABLE idempotency_records_0012 AS SELECT * FROM idempotency_records;
CREATE TABLE audit_log_0012 AS SELECT * FROM audit_log;
DROP TABLE webhook_deliveries, events, idempotency_records, audit_log;
DROP FUNCTION rgs_claim_idempotency_key(uuid, text, text, text);
DROP FUNCTION rgs_maintain_partitions(integer, integer);
DROP FUNCTION rgs_create_partition(text, timestamptz);
DROP FUNCTION rgs_partition_column(text);
DROP FUNCTION rgs_partition_name(text, timestamptz);
DROP FUNCTION rgs_partition_range(text, timestamptz);

CREATE TABLE events (
  id uuid PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY, operator_id uuid NOT NULL, type text NOT NULL,
  player_id text, bet_id uuid, data jsonb NOT NULL, occurred_at timestamptz NOT NULL DEFAULT now(),
  txid xid8 DEFAULT pg_current_xact_id()
);
INSERT INTO events OVERRIDING SYSTEM VALUE SELECT * FROM events_0012;
SELECT setval(pg_get_serial_sequence('events', 'seq'), coalesce((SELECT max(seq) FROM events), 1));
CREATE INDEX events_relay_order ON events (txid, seq);

CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY, operator_id uuid NOT NULL, event_id uuid NOT NULL UNIQUE REFERENCES events(id),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0, last_status_code integer, last_error text, next_attempt_at timestamptz,
  delivered_at timestamptz, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO webhook_deliveries SELECT id, operator_id, event_id, status, attempts, last_status_code, last_error,
  next_attempt_at, delivered_at, created_at, updated_at FROM webhook_deliveries_0012;
CREATE INDEX webhook_deliveries_operator_status ON webhook_deliveries (operator_id, status, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_operator_created ON webhook_deliveries (operator_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE idempotency_records (
  operator_id uuid NOT NULL, scope text NOT NULL, key text NOT NULL, request_hash text NOT NULL,
  response_status integer NOT NULL, response_body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (operator_id, scope, key)
);
INSERT INTO idempotency_records SELECT * FROM idempotency_records_0012 ON CONFLICT DO NOTHING;

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, operator_id uuid, actor text NOT NULL, action text NOT NULL,
  player_id text, bet_id uuid, data jsonb NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_log OVERRIDING SYSTEM VALUE SELECT * FROM audit_log_0012;
SELECT setval(pg_get_serial_sequence('audit_log', 'id'), coalesce((SELECT max(id) FROM audit_log), 1));
CREATE INDEX audit_operator_created ON audit_log (operator_id, created_at DESC, id DESC);
CREATE INDEX audit_operator_action_created ON audit_log (operator_id, action, created_at DESC, id DESC);
CREATE INDEX audit_operator_player_created ON audit_log (operator_id, player_id, created_at DESC, id DESC);
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

DROP TABLE events_0012, webhook_deliveries_0012, idempotency_records_0012, audit_log_0012;
CREATE VIEW unrelayed_events AS
  SELECT e.* FROM events e WHERE (e.txid, e.seq) > (SELECT c.txid, c.seq FROM event_relay_cursor c);
`);
  }
}
