import test from 'ava';
import { openDb, withTransaction, type Db } from './db.ts';
import { dbStatementsTotal } from './db-statements.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';

// The Db façade on MikroORM's pool (src/shared/db.ts): what the hand-written SQL was
// written against (pg's parsing, named statements, transactions) holds on the ORM's pool.

let database: TestDatabase;
let db: Db;
test.before(async () => {
  database = await createTestDatabase();
  db = await openDb(database.url, 3);
});
test.after.always(async () => {
  await db?.end();
  await database?.drop();
});

const statements = async () => (await dbStatementsTotal.get()).values[0]?.value ?? 0;

test('int8 reads as a number, timestamps as Date; the ORM keeps its own parsing', async (t) => {
  const { rows } = await db.query<{ n: number; at: Date }>('SELECT 9007199254740991::int8 AS n, now() AS at');
  t.is(rows[0]!.n, Number.MAX_SAFE_INTEGER);
  t.true(rows[0]!.at instanceof Date);
  const client = await db.connect();
  try {
    const { rows: inTransaction } = await client.query<{ at: Date }>('SELECT now() AS at');
    t.true(inTransaction[0]!.at instanceof Date, 'a client of the pool reads as the pool does');
  } finally {
    client.release();
  }
  const [fromOrm] = await db.orm.em.fork().getConnection().execute<{ at: unknown }[]>('SELECT now() AS at');
  t.is(typeof fromOrm!.at, 'string', "MikroORM's hydration gets the strings it expects");
});

test('named statements are prepared once per connection and run again by name', async (t) => {
  const statement = (value: number) => ({ name: 'db-test-named', text: 'SELECT $1::int + 1 AS next', values: [value] });
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map(async (value) => (await db.query<{ next: number }>(statement(value))).rows[0]!.next));
  t.deepEqual(results, [2, 3, 4, 5, 6, 7]);
  const { rows } = await db.query<{ prepared: number }>("SELECT count(*)::int AS prepared FROM pg_prepared_statements WHERE name = 'db-test-named'");
  t.true(rows[0]!.prepared <= 1, 'on this connection, once at most');
});

// Serial: the statement counter is the process's.
test.serial('a transaction commits or rolls back on one connection, and every statement is counted', async (t) => {
  const before = await statements();
  const answer = await withTransaction(db, async (client) => {
    await client.query('CREATE TEMP TABLE db_test_rows (n int) ON COMMIT DROP');
    await client.query('INSERT INTO db_test_rows VALUES (1), (2)');
    return (await client.query<{ total: number }>('SELECT sum(n)::int AS total FROM db_test_rows')).rows[0]!.total;
  });
  t.is(answer, 3);
  t.is((await statements()) - before, 5, 'BEGIN, three statements, COMMIT');
  await t.throwsAsync(
    withTransaction(db, async (client) => {
      await client.query('SELECT 1');
      throw new Error('work failed');
    }),
    { message: 'work failed' },
  );
  const { rows } = await db.query<{ open: boolean }>("SELECT count(*) > 0 AS open FROM pg_stat_activity WHERE application_name = 'rgs' AND datname = current_database() AND state = 'idle in transaction'");
  t.false(rows[0]!.open, 'rolled back: no connection left inside a transaction');
});

test('one pool: never more connections than its size, all named rgs; a client released with an error is closed', async (t) => {
  await Promise.all(Array.from({ length: 12 }, () => db.query('SELECT pg_sleep(0.05)')));
  const pids = async () =>
    (await db.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'rgs' AND usename = current_user AND datname = current_database()")).rows.map((row) => row.pid);
  const { rows } = await db.query<{ own: number }>('SELECT pg_backend_pid() AS own');
  const open = await pids();
  t.true(open.includes(rows[0]!.own));
  t.true(open.length <= 3, `${open.length} connections for a pool of 3`);

  const client = await db.connect();
  const { rows: broken } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  client.release(new Error('connection state unknown'));
  const seen = new Set<number>();
  for (let index = 0; index < 6; index++) {
    const next = await db.connect();
    seen.add((await next.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    next.release();
  }
  t.false(seen.has(broken[0]!.pid), 'never handed out again');
});
