import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { connectTestRedis } from './support/redis.ts';
import type { RedisClient } from '../src/shared/redis.ts';
import { streamKey } from '../src/modules/events/stream-append.ts';
import { lockRelay } from '../src/modules/events/store.ts';
import { launch, placeBet } from './support/bets.ts';
import { unrelayedCount, waitForRelay, waitUntil } from './support/wait.ts';

// SPEC §7: every committed event reaches its operator's stream exactly once, even when
// the node that committed it dies right after the commit.

let cluster: TestCluster;
let db: Db;
let redis: RedisClient;

test.before(async () => {
  cluster = await startCluster({ nodes: 2, nodeEnv: { RELAY_INTERVAL_MS: '200', STREAM_MAX_LEN: '50', STREAM_RETENTION_MS: '3000' } });
  db = await openDb(cluster.database.url, 4);
  redis = connectTestRedis();
});

test.after.always(async () => {
  redis?.disconnect();
  await db?.end();
  await cluster?.stop();
});

const streamOf = async (operatorId: string) =>
  (await redis.xrange(`${cluster.redisPrefix}${streamKey(operatorId)}`, '-', '+')).map(([id, fields]) => ({ id, event: JSON.parse(fields[1]!) }));

test('committed events are appended to the operator stream once each, in commit order per bet', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const session = await launch(operator.client(), 'streamer');
  const placed = await placeBet(operator.client(cluster.nodes[1]!.url), session, 100, { target: 50, direction: 'under' });
  await waitForRelay(db, operator.id);
  const stream = await streamOf(operator.id);
  // The relay's order: by writing transaction, then by row.
  const committed = await db.query('SELECT id, type FROM events WHERE operator_id = $1 ORDER BY txid, seq', [operator.id]);
  t.deepEqual(stream.map((entry) => entry.event.id), committed.rows.map((row) => row.id));
  const betTypes = stream.filter((entry) => entry.event.data.betId === placed.body.id).map((entry) => entry.event.type);
  t.deepEqual(betTypes.slice(0, 3), ['round.created', 'bet.placed', 'wallet.debited']);
  t.like(stream[0]!.event, { type: 'session.launched', operatorId: operator.id });
});

test('relaying an event again (a node died between the append and moving the cursor) never duplicates it', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  await launch(operator.client(), 'again-1');
  await launch(operator.client(), 'again-2');
  await waitUntil(async () => (await streamOf(operator.id)).length === 2 && (await unrelayedCount(db, operator.id)) === 0, 'two events');
  // The cursor back to just before this operator's first event, as if that pass never
  // committed: under the relay's lock, so that no pass still running moves it forward again.
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await lockRelay(client);
    await client.query(
      `UPDATE event_relay_cursor c SET txid = e.txid, seq = e.seq - 1
         FROM (SELECT txid, seq FROM events WHERE operator_id = $1 ORDER BY txid, seq LIMIT 1) e`,
      [operator.id],
    );
    t.is(await unrelayedCount(client, operator.id), 2);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  await waitForRelay(db, operator.id);
  t.is((await streamOf(operator.id)).length, 2);
});

test('events committed by a node killed right after its commits still reach the stream', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const victim = await cluster.addNode('victim', { RELAY_INTERVAL_MS: '60000' });
  const client = operator.client(victim.url);
  const session = await launch(client, 'doomed');
  // Whatever the victim relayed before dying, the rest only another node's recovery pass can relay.
  const bets = await Promise.all(Array.from({ length: 10 }, () => placeBet(client, session, 100, { target: 50, direction: 'under' })));
  await victim.stop('SIGKILL');
  t.true(bets.every((bet) => bet.status === 201));
  await waitForRelay(db, operator.id);
  const stream = await streamOf(operator.id);
  const committed = await db.query('SELECT id FROM events WHERE operator_id = $1', [operator.id]);
  t.deepEqual(stream.map((entry) => entry.event.id).sort(), committed.rows.map((row) => row.id).sort());
  t.is(stream.length, committed.rows.length);
});

test('an event whose transaction began first but commits last is relayed, and in transaction order', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const early = await db.connect();
  t.teardown(() => early.release());
  // This transaction takes its id and the lower seq first, and stays open while a later one commits.
  await early.query('BEGIN');
  const { rows } = await early.query<{ id: string }>(
    "INSERT INTO events (id, operator_id, type, data) VALUES (gen_random_uuid(), $1, 'test.early', '{}') RETURNING id",
    [operator.id],
  );
  await launch(operator.client(), 'late-committer');
  await new Promise((resolve) => setTimeout(resolve, 600));
  t.deepEqual(await streamOf(operator.id), [], 'the later commit waits behind the open transaction');
  await early.query('COMMIT');
  await waitForRelay(db, operator.id);
  const stream = await streamOf(operator.id);
  t.deepEqual(stream.map((entry) => entry.event.type), ['test.early', 'session.launched']);
  t.is(stream[0]!.event.id, rows[0]!.id);
});

test('the stream keeps at least the configured length or age, whichever is more', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  await Promise.all(Array.from({ length: 60 }, (_, i) => launch(operator.client(), `trim-${i}`)));
  await waitUntil(async () => (await streamOf(operator.id)).length >= 60, 'relay');
  t.is((await streamOf(operator.id)).length, 60, 'younger than the age bound: nothing is trimmed');
  await new Promise((resolve) => setTimeout(resolve, 3_100));
  await launch(operator.client(), 'trim-last');
  await waitUntil(async () => (await streamOf(operator.id)).some((entry) => entry.event.data.playerId === 'trim-last'), 'relay');
  const length = (await streamOf(operator.id)).length;
  t.true(length <= 51 && length >= 50, `older than the age bound: trimmed to the length bound (${length})`);
  const info = (await redis.call('XINFO', 'STREAM', `${cluster.redisPrefix}${streamKey(operator.id)}`)) as unknown[];
  t.not(info[info.indexOf('max-deleted-entry-id') + 1], '0-0', 'Redis remembers what was trimmed');
});
