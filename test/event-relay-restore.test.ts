import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch } from './support/bets.ts';
import { connectTestRedis } from './support/redis.ts';
import type { RedisClient } from '../src/shared/redis.ts';
import { positionKey, streamKey as productStreamKey } from '../src/modules/events/stream-append.ts';
import { unrelayedCount, waitForRelay, waitUntil } from './support/wait.ts';

// A database restored from a logical dump into another Postgres cluster keeps its rows'
// transaction ids while the new cluster's ids start low (src/modules/events/relay-rebase.ts).

let cluster: TestCluster;
let db: Db;
let redis: RedisClient;

test.before(async () => {
  cluster = await startCluster({ nodes: 1 });
  db = await openDb(cluster.database.url, 2);
  redis = connectTestRedis();
});

test.after.always(async () => {
  redis?.disconnect();
  await db?.end();
  await cluster?.stop();
});

test('after transaction ids went back, a starting node rebases the relay: nothing is lost or appended twice', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  await launch(operator.client(), 'before-restore');
  await waitForRelay(db, operator.id);
  await cluster.nodes[0]!.stop('SIGTERM');
  const streamKey = `${cluster.redisPrefix}${productStreamKey(operator.id)}`;
  const streamed = async () => (await redis.xrange(streamKey, '-', '+')).map(([, fields]) => (JSON.parse(fields[1]!) as { id: string; type: string }));
  t.is((await streamed()).length, 1);

  // What a restore into a fresh cluster looks like: rows and cursor carry ids far above the
  // cluster's own, one event was committed but not yet relayed when the dump was taken,
  // and Redis kept the stream's position from the old ids.
  await db.query("UPDATE events SET txid = '9000000000' WHERE operator_id = $1", [operator.id]);
  await db.query("UPDATE event_relay_cursor SET txid = '9000000000', seq = (SELECT max(seq) FROM events)");
  const { rows } = await db.query<{ id: string; seq: number }>(
    "INSERT INTO events (id, operator_id, type, data, txid) VALUES (gen_random_uuid(), $1, 'test.unrelayed_at_dump', '{}', '9000000001') RETURNING id, seq",
    [operator.id],
  );
  await redis.set(`${cluster.redisPrefix}${positionKey(operator.id)}`, `9000000000:${rows[0]!.seq - 1}`);

  const node = await cluster.addNode('after-restore');
  await launch(operator.client(node.url), 'after-restore');
  await waitUntil(async () => (await unrelayedCount(db, operator.id)) === 0 && (await streamed()).length >= 3, 'the relay after the restore');
  const types = (await streamed()).map((event) => event.type);
  t.deepEqual(types, ['session.launched', 'test.unrelayed_at_dump', 'session.launched']);
  const cursor = (await db.query<{ txid: string }>('SELECT txid::text AS txid FROM event_relay_cursor')).rows[0]!;
  t.true(BigInt(cursor.txid) < 9_000_000_000n, 'the cursor is back in this cluster’s ids');
});
