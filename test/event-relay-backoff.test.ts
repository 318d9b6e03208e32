import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch } from './support/bets.ts';
import { waitForRelay } from './support/wait.ts';

// docs/operations.md: a transaction left open holds events back. The relays must wait it
// out without polling Postgres every 10 ms for as long as it lasts (unbounded, that was
// ~140 transactions a second for two nodes).

let cluster: TestCluster;
let db: Db;

test.before(async () => {
  cluster = await startCluster({ nodes: 2 });
  db = await openDb(cluster.database.url, 4);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
});

const transactions = async () =>
  Number((await db.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n);

test('while an open transaction holds events back, the relays back off, and relay everything once it ends', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const blocker = await db.connect();
  t.teardown(() => blocker.release());
  await blocker.query('BEGIN');
  await blocker.query("INSERT INTO events (id, operator_id, type, data) VALUES (gen_random_uuid(), $1, 'test.blocker', '{}')", [operator.id]);
  await launch(operator.client(), 'held-back');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = await transactions();
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const during = (await transactions()) - before;
  t.true(during < 150, `${during} transactions in 3 s while held back`);
  await blocker.query('COMMIT');
  // Throws (failing the test) if the held-back events are not relayed once it ends.
  await waitForRelay(db, operator.id, 10_000);
});
