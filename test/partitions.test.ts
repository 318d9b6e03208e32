import test from 'ava';
import { createHash, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { openDb, type Db } from '../src/shared/db.ts';
import { migrate } from '../src/shared/migrate.ts';
import { appDatabaseUrl } from '../src/shared/app-role.ts';
import { runPartitionUpkeep } from '../src/modules/partitions/upkeep.ts';
import { ArchiveInputError, archiveAuditMonths, checkArchiveArgs, type ArchiveManifest } from '../src/modules/audit/archive.ts';
import { listAudit } from '../src/modules/audit/service.ts';
import { claimIdempotencyKey, completeIdempotencyKey } from '../src/modules/idempotency/service.ts';
import { auditQuery } from '../src/modules/audit/schemas.ts';
import { APP_ROLE, createEmptyDatabase, createTestDatabase } from './support/database.ts';

// Issue #21 point 3: events, webhook_deliveries and idempotency_records age out by weekly
// partition, audit_log is archived by month (migrations/0012-time-partitioned-tables.ts).

const logger = pino({ level: 'silent' });
const DAY_MS = 86_400_000;

async function ownerAndApp(t: { teardown(fn: () => Promise<void>): void }, url: string): Promise<{ owner: Db; app: Db }> {
  const owner = await openDb(url, 2);
  t.teardown(() => owner.end());
  const app = await openDb(appDatabaseUrl({ DATABASE_URL: url, APP_DB_ROLE: APP_ROLE.name, APP_DB_PASSWORD: APP_ROLE.password }), 2);
  t.teardown(() => app.end());
  return { owner, app };
}

async function insertOperator(db: Db): Promise<string> {
  const id = randomUUID();
  await db.query("INSERT INTO operators (id, name, api_key_hash, webhook_url) VALUES ($1, $2, $3, 'http://127.0.0.1:9/hook')", [id, `op-${id}`, id]);
  return id;
}

/** The partition each row of `table` sits in, keyed by a column of the row. */
async function partitionsOf(db: Db, table: string, key: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ key: string; partition: string }>(`SELECT ${key}::text AS key, tableoid::regclass::text AS partition FROM ${table}`);
  return new Map(rows.map((row) => [row.key, row.partition]));
}

/** Every row of the four tables, in a stable order. */
async function snapshot(db: Db) {
  return {
    events: (await db.query('SELECT id, seq, operator_id, type, data, occurred_at, txid::text FROM events ORDER BY id')).rows,
    deliveries: (await db.query('SELECT id, operator_id, event_id, status, created_at FROM webhook_deliveries ORDER BY id')).rows,
    idempotency: (await db.query('SELECT operator_id, scope, key, request_hash, created_at FROM idempotency_records ORDER BY key')).rows,
    audit: (await db.query('SELECT id, operator_id, actor, action, data, created_at FROM audit_log ORDER BY id')).rows,
  };
}

test('migration 0012 keeps every row of the four tables, each in its week or month, and identities continue after them', async (t) => {
  const database = await createEmptyDatabase();
  t.teardown(() => database.drop());
  {
    const db = await openDb(database.url, 2);
    await db.orm.getMigrator().up({ to: '0011-operator-games' });
    await db.end();
  }
  const owner = await openDb(database.url, 2);
  const operatorId = await insertOperator(owner);
  // 40 days of rows, one a day, so they span several weeks and two or three months.
  await owner.query(
    `INSERT INTO events (id, operator_id, type, data, occurred_at)
     SELECT gen_random_uuid(), $1, 'bet.placed', jsonb_build_object('n', g), now() - g * interval '1 day' FROM generate_series(0, 39) g`,
    [operatorId],
  );
  await owner.query("INSERT INTO webhook_deliveries (id, operator_id, event_id, status) SELECT gen_random_uuid(), operator_id, id, 'delivered' FROM events");
  await owner.query(
    `INSERT INTO idempotency_records (operator_id, scope, key, request_hash, response_status, response_body, created_at)
     SELECT $1, 'sessions.launch', 'key-' || g, 'hash', 201, '{}', now() - g * interval '1 day' FROM generate_series(0, 39) g`,
    [operatorId],
  );
  await owner.query(
    `INSERT INTO audit_log (operator_id, actor, action, created_at)
     SELECT $1, 'system', 'test.seeded', now() - g * interval '1 day' FROM generate_series(0, 39) g`,
    [operatorId],
  );
  const before = await snapshot(owner);
  t.is(before.events.length, 40);
  await owner.end();

  t.deepEqual(await migrate(database.url, APP_ROLE), ['0012-time-partitioned-tables', '0013-operator-led-keys', '0014-relay-pass-function']);

  const db = await openDb(database.url, 2);
  t.teardown(() => db.end());
  t.deepEqual(await snapshot(db), before, 'every row of every table, unchanged');

  const { rows: kinds } = await db.query<{ name: string; kind: string }>(
    "SELECT relname AS name, relkind::text AS kind FROM pg_class WHERE relname IN ('events', 'webhook_deliveries', 'idempotency_records', 'audit_log') ORDER BY relname",
  );
  t.deepEqual(kinds.map((row) => row.kind), ['p', 'p', 'p', 'p'], 'all four are partitioned tables');
  const eventPartitions = new Set((await partitionsOf(db, 'events', 'id')).values());
  t.true(eventPartitions.size >= 6, `40 days of events span weeks: ${[...eventPartitions].join(', ')}`);
  t.false(eventPartitions.has('events_default'), 'no row went to the default partition');
  const auditPartitions = new Set((await partitionsOf(db, 'audit_log', 'id')).values());
  t.true(auditPartitions.size >= 2 && [...auditPartitions].every((name) => /^audit_log_p\d{6}$/.test(name)), [...auditPartitions].join(', '));
  // A delivery sits in its event's week.
  const { rows: misplaced } = await db.query(
    `SELECT d.id FROM webhook_deliveries d JOIN events e ON e.operator_id = d.operator_id AND e.id = d.event_id AND e.occurred_at = d.event_occurred_at
      WHERE substring(d.tableoid::regclass::text FROM '_p[0-9]+$') <> substring(e.tableoid::regclass::text FROM '_p[0-9]+$')`,
  );
  t.deepEqual(misplaced, []);

  const { rows: next } = await db.query<{ id: string }>("INSERT INTO audit_log (actor, action) VALUES ('system', 'test.after') RETURNING id::text");
  t.true(BigInt(next[0]!.id) > BigInt(before.audit.at(-1)!.id as string), 'audit ids continue after the moved rows');
  const { rows: nextEvent } = await db.query<{ seq: string }>(
    "INSERT INTO events (id, operator_id, type, data) VALUES (gen_random_uuid(), $1, 'bet.won', '{}') RETURNING seq::text",
    [operatorId],
  );
  t.true(Number(nextEvent[0]!.seq) > Math.max(...before.events.map((event) => Number(event.seq))), 'event seq continues');
  await t.throwsAsync(
    db.query("INSERT INTO webhook_deliveries (id, operator_id, event_id, event_occurred_at) VALUES (gen_random_uuid(), $1, gen_random_uuid(), now())", [operatorId]),
    { code: '23503' },
    'a delivery of no event is refused, as before',
  );
});

test('upkeep drops expired partitions, keeps recent ones, audit_log, and any holding unrelayed events or pending deliveries', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const { owner, app } = await ownerAndApp(t, database.url);
  const operatorId = await insertOperator(owner);
  // Three weeks long expired (60, 67 and 74 days ago) and the current one.
  const old = [60, 67, 74].map((days) => new Date(Date.now() - days * DAY_MS));
  for (const at of old) {
    for (const table of ['events', 'webhook_deliveries', 'idempotency_records', 'audit_log']) await owner.query('SELECT rgs_create_partition($1, $2)', [table, at]);
  }
  const [relayedWeek, unrelayedWeek, pendingWeek] = old as [Date, Date, Date];
  const event = async (at: Date, txid: string | null) => {
    const id = randomUUID();
    await owner.query(
      `INSERT INTO events (id, operator_id, type, data, occurred_at, txid) VALUES ($1, $2, 'bet.placed', '{}', $3, coalesce($4::xid8, pg_current_xact_id()))`,
      [id, operatorId, at, txid],
    );
    return id;
  };
  const relayed = await event(relayedWeek, '1');
  const pendingEvent = await event(pendingWeek, '1');
  // The relay has appended everything of txid 1; the next event is above its cursor.
  await owner.query("UPDATE event_relay_cursor SET txid = '1', seq = (SELECT max(seq) FROM events)");
  const unrelayed = await event(unrelayedWeek, null);
  const recent = await event(new Date(), null);
  await owner.query(
    `INSERT INTO webhook_deliveries (id, operator_id, event_id, event_occurred_at, status)
     VALUES (gen_random_uuid(), $1, $2, $3, 'delivered'), (gen_random_uuid(), $1, $4, $5, 'pending')`,
    [operatorId, relayed, relayedWeek, pendingEvent, pendingWeek],
  );
  await owner.query(
    `INSERT INTO idempotency_records (operator_id, scope, key, request_hash, response_status, response_body, created_at)
     VALUES ($1, 's', 'old', 'h', 201, '{}', $2), ($1, 's', 'new', 'h', 201, '{}', now())`,
    [operatorId, relayedWeek],
  );
  await owner.query("INSERT INTO audit_log (operator_id, actor, action, created_at) VALUES ($1, 'system', 'test.old', $2)", [operatorId, pendingWeek]);

  // As a node does: the application role, through the owner's function.
  const actions = await runPartitionUpkeep(app, logger, 30);
  const did = (parent: string, at: Date) => actions.filter((row) => row.parent === parent && row.partition_name === `${parent}_p${mondayOf(at)}`).map((row) => row.action);
  t.deepEqual(did('webhook_deliveries', relayedWeek), ['dropped']);
  t.deepEqual(did('events', relayedWeek), ['dropped']);
  t.deepEqual(did('events', unrelayedWeek), ['kept_unrelayed'], 'an event the relay has not appended keeps its partition');
  t.deepEqual(did('webhook_deliveries', pendingWeek), ['kept_pending_deliveries'], 'a pending delivery keeps its partition');
  t.deepEqual(did('events', pendingWeek), ['kept_referenced'], "and its event's");
  t.deepEqual(did('idempotency_records', relayedWeek), ['dropped']);
  t.false(actions.some((row) => row.parent === 'audit_log' && row.action === 'dropped'), 'audit_log is never dropped');

  const ids = async (sql: string) => (await owner.query<{ id: string }>(sql)).rows.map((row) => row.id).sort();
  t.deepEqual(await ids('SELECT id::text AS id FROM events'), [pendingEvent, unrelayed, recent].sort());
  t.deepEqual(await ids('SELECT key AS id FROM idempotency_records'), ['new']);
  t.deepEqual(await ids("SELECT action AS id FROM audit_log WHERE action = 'test.old'"), ['test.old']);
  const { rows: ahead } = await owner.query<{ name: string }>('SELECT rgs_partition_name($1, (rgs_partition_range($1, now() + interval \'7 days\')).lo) AS name', ['events']);
  t.truthy((await owner.query('SELECT to_regclass($1) AS found', [ahead[0]!.name])).rows[0].found, 'the partition of 7 days ahead exists');

  // Once the delivery is done and the relay has moved on, the next pass drops the rest.
  await owner.query("UPDATE webhook_deliveries SET status = 'delivered'");
  await owner.query("UPDATE event_relay_cursor SET txid = (SELECT max(txid) FROM events), seq = (SELECT max(seq) FROM events)");
  const second = await runPartitionUpkeep(app, logger, 30);
  t.deepEqual(
    second.filter((row) => row.action !== 'created').map((row) => `${row.parent}:${row.action}`).sort(),
    ['events:dropped', 'events:dropped', 'webhook_deliveries:dropped'],
  );
  t.deepEqual(await ids('SELECT id::text AS id FROM events'), [recent]);
  t.deepEqual(await runPartitionUpkeep(app, logger, 30), [], 'nothing left to do');
  await t.throwsAsync(app.query('SELECT * FROM rgs_maintain_partitions(0, 7)'), { message: /at least 1 day/ });
});

/** The UTC Monday of `at`'s week, as partition names spell it. */
function mondayOf(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  return day.toISOString().slice(0, 10).replaceAll('-', '');
}

/** The UTC month `back` months before now, as YYYY-MM, and a moment in its middle. */
function monthBack(back: number): { month: string; at: Date } {
  const now = new Date();
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 15, 12));
  return { month: at.toISOString().slice(0, 7), at };
}

test('audit:archive writes each closed month as verified gzip NDJSON with a manifest, then detaches it; a rerun does nothing; GET /audit pages across months', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const { owner, app } = await ownerAndApp(t, database.url);
  const operatorId = await insertOperator(owner);
  const [twoBack, oneBack] = [monthBack(2), monthBack(1)];
  for (const { at } of [twoBack, oneBack]) await owner.query("SELECT rgs_create_partition('audit_log', $1)", [at]);
  for (const [{ at }, count] of [[twoBack, 3], [oneBack, 4]] as const) {
    await owner.query(
      `INSERT INTO audit_log (operator_id, actor, action, data, created_at)
       SELECT $1, 'system', 'test.month', jsonb_build_object('n', g), $2::timestamptz + g * interval '1 minute' FROM generate_series(1, $3) g`,
      [operatorId, at, count],
    );
  }
  await owner.query("INSERT INTO audit_log (operator_id, actor, action) VALUES ($1, 'system', 'test.now'), ($1, 'system', 'test.now')", [operatorId]);

  // GET /audit's listing (schema, store and page): 9 rows over three months, 2 a page.
  const em = app.orm.em.fork();
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listAudit(em, operatorId, auditQuery.parse({ limit: '2', ...(cursor && { cursor }) }));
    seen.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const { rows: newestFirst } = await owner.query<{ id: string }>('SELECT id::text AS id FROM audit_log WHERE operator_id = $1 ORDER BY created_at DESC, id DESC', [operatorId]);
  t.deepEqual(seen, newestFirst.map((row) => row.id), 'every row once, newest first, across the partitions');

  const out = await mkdtemp(path.join(tmpdir(), 'rgs-audit-archive-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const current = new Date().toISOString().slice(0, 7);
  const archived = await archiveAuditMonths(owner, await checkArchiveArgs({ before: current, out }));
  t.deepEqual(archived.map((manifest) => [manifest.month, manifest.rows]), [[twoBack.month, 3], [oneBack.month, 4]]);
  t.deepEqual((await readdir(out)).sort(), [twoBack.month, oneBack.month].flatMap((month) => [`audit_log-${month}.manifest.json`, `audit_log-${month}.ndjson.gz`]).sort());
  for (const manifest of archived) {
    const file = await readFile(path.join(out, manifest.file));
    const onDisk = JSON.parse(await readFile(path.join(out, `audit_log-${manifest.month}.manifest.json`), 'utf8')) as ArchiveManifest;
    t.deepEqual(onDisk, manifest);
    t.is(createHash('sha256').update(file).digest('hex'), manifest.sha256);
    const lines = gunzipSync(file).toString('utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { id: number; action: string; created_at: string });
    t.is(lines.length, manifest.rows);
    t.deepEqual([String(lines[0]!.id), String(lines.at(-1)!.id)], [manifest.firstId, manifest.lastId]);
    t.true(lines.every((line) => line.action === 'test.month' && line.created_at.startsWith(manifest.month)));
  }
  // Detached: audit_log holds this month's rows only; the months sit in audit_archive, out of the nodes' reach.
  const { rows: left } = await owner.query<{ action: string }>('SELECT action FROM audit_log WHERE operator_id = $1', [operatorId]);
  t.deepEqual(left.map((row) => row.action), ['test.now', 'test.now']);
  const archivedTable = `audit_archive.audit_log_p${twoBack.month.replace('-', '')}`;
  t.is(Number((await owner.query(`SELECT count(*) FROM ${archivedTable}`)).rows[0].count), 3);
  await t.throwsAsync(owner.query(`DELETE FROM ${archivedTable}`), { message: /append-only/ }, 'still append-only');
  await t.throwsAsync(app.query(`SELECT * FROM ${archivedTable}`), { code: '42501' });

  t.deepEqual(await archiveAuditMonths(owner, await checkArchiveArgs({ before: current, out })), [], 'a rerun finds nothing left to archive');
});

test('audit:archive refuses bad arguments with a clear error and changes nothing', async (t) => {
  const out = await mkdtemp(path.join(tmpdir(), 'rgs-audit-archive-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const now = new Date(Date.UTC(2026, 11, 7));
  for (const [args, message] of [
    [{ out }, /--before takes a month as YYYY-MM/],
    [{ before: '2026-13', out }, /--before takes a month/],
    [{ before: '2026-1', out }, /--before takes a month/],
    [{ before: '2027-01', out }, /after the current month \(2026-12/],
    [{ before: '2026-11' }, /--out takes the directory/],
    [{ before: '2026-11', out: path.join(out, 'missing') }, /not an existing directory/],
  ] as const) {
    await t.throwsAsync(checkArchiveArgs(args, now), { instanceOf: ArchiveInputError, message }, JSON.stringify(args));
  }
  t.is((await checkArchiveArgs({ before: '2026-12', out }, now)).before, '2026-12', 'the current month is a valid bound (months before it are closed)');

  // The command itself: exit 2, the reason on stderr, no file written.
  const error = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/audit-archive.ts', '--before', 'last-month', '--out', out]).catch((failure: unknown) => failure as { code: number; stderr: string });
  t.is((error as { code: number }).code, 2);
  t.regex((error as { stderr: string }).stderr, /--before takes a month as YYYY-MM/);
  t.deepEqual(await readdir(out), []);
});

test('two concurrent claims of one idempotency key: the second waits for the first and replays its answer (the partitioned key holds created_at)', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const { owner, app } = await ownerAndApp(t, database.url);
  const operatorId = await insertOperator(owner);
  const claim = { operatorId, scope: 'sessions.launch', key: 'same-key', requestHash: 'hash-1' };
  const first = await app.connect();
  const second = await app.connect();
  t.teardown(() => {
    first.release();
    second.release();
  });
  await first.query('BEGIN');
  await second.query('BEGIN');
  t.deepEqual(await claimIdempotencyKey(first, claim), { kind: 'new' });
  let secondDone = false;
  const secondClaim = claimIdempotencyKey(second, claim).finally(() => (secondDone = true));
  // The second claim waits on the key's lock: it cannot end before the first commits.
  const waitingLocks = async () =>
    (
      await owner.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      )
    ).rows[0]!.n;
  for (let tries = 0; tries < 500 && (await waitingLocks()) === 0 && !secondDone; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.false(secondDone, 'the second claim has not ended');
  t.is(await waitingLocks(), 1, 'it waits on the lock of the key');
  await completeIdempotencyKey(first, { operatorId, scope: claim.scope, key: claim.key, status: 201, body: { token: 'first' } });
  await first.query('COMMIT');
  t.deepEqual(await secondClaim, { kind: 'replay', status: 201, body: { token: 'first' } });
  await second.query('COMMIT');
  t.is(Number((await owner.query("SELECT count(*) FROM idempotency_records WHERE key = 'same-key'")).rows[0].count), 1, 'one row for the key');
});
