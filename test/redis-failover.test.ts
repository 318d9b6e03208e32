import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { streamKey } from '../src/modules/events/stream-append.ts';
import { watchRedisFailovers } from '../chaos/redis-failover.ts';
import { useOwnRedisCluster } from './support/own-redis-cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch } from './support/bets.ts';
import { openSse } from './support/sse-client.ts';
import { waitForRelay } from './support/wait.ts';

// Issue #21 point 2: a Redis Cluster failover loses nothing silently, although replication
// is asynchronous. The replica of the operator's stream's master is frozen (SIGSTOP): the
// relay appends an event to the master, the SSE client gets it from there, and the relay
// holds its Postgres cursor, because no replica confirmed the append (WAIT). Then the
// master is SIGKILLed, the replica thawed and promoted. Whether the replica got the entry
// (what the master had written to its socket arrives after the thaw) or not, every
// committed event is in the new master's stream exactly once, and the client has every
// event, any one twice only with a stream.reset in between. (stream/history.test.ts
// covers the reset for an id the new master never held.) Always on a cluster of its own
// (it kills one of its masters), under `npm test` and `npm run test:cluster`.

const own = useOwnRedisCluster();

/** The port of the replica of the master on `masterPort`, from CLUSTER NODES. */
async function replicaOf(masterPort: number): Promise<number> {
  const lines = String(await own.redis.cluster('NODES')).split('\n').filter(Boolean).map((line) => line.split(' '));
  const master = lines.find((fields) => fields[1]?.includes(`:${masterPort}@`));
  const replica = lines.find((fields) => fields[3] === master?.[0]);
  if (!replica) throw new Error(`no replica of :${masterPort}`);
  return Number(/:(\d+)@/.exec(replica[1]!)![1]);
}

const pidOf = async (port: number) => Number((await readFile(path.join(own.redisCluster.dir, `redis-${port}.pid`), 'utf8')).trim());

test('a master killed while its replica is frozen: the relay holds its cursor until a replica has the append, every event is in the stream once, and the SSE client misses none', async (t) => {
  t.timeout(120_000);
  const operator = await createOperator(own.cluster.nodes[0]!);
  const client = operator.client();
  await launch(client, 'before');
  await waitForRelay(own.db, operator.id);
  const key = `${own.cluster.redisPrefix}${streamKey(operator.id)}`;
  const sse = await openSse(own.cluster.nodes[0]!.url, { apiKey: operator.apiKey, lastEventId: '0-0' });
  await sse.until((each) => each.messages.some((message) => message.event === 'session.launched'), 15_000);

  const slot = Number(await own.redis.cluster('KEYSLOT', key));
  const ranges = await own.redis.cluster('SLOTS');
  const masterPort = ranges.find(([from, to]) => slot >= from && slot <= to)![2]![1];
  const replicaPid = await pidOf(await replicaOf(masterPort));

  // Frozen for less than the cluster's node timeout (3 s): the others do not fail it.
  process.kill(replicaPid, 'SIGSTOP');
  let thawed = false;
  t.teardown(() => {
    if (!thawed) process.kill(replicaPid, 'SIGCONT');
  });
  await launch(client, 'unreplicated');
  await sse.until((each) => each.messages.some((message) => message.data.includes('"unreplicated"')), 15_000);
  t.true((await own.db.query('SELECT 1 FROM unrelayed_events')).rowCount! > 0, 'the relay holds its cursor: no replica confirmed the append');

  const failovers = await watchRedisFailovers(own.redisCluster);
  // Thawed only once its master is dead: it never gets what it missed.
  await failovers.failOver(key, (line) => t.log(line), () => {
    process.kill(replicaPid, 'SIGCONT');
    thawed = true;
  });
  t.is(await failovers.promotions(), 1);

  await launch(client, 'after');
  await waitForRelay(own.db, operator.id, 30_000);
  const committed = (await own.db.query<{ id: string }>('SELECT id FROM events WHERE operator_id = $1', [operator.id])).rows.map((row) => row.id);
  const inStream = (await own.redis.xrange(key, '-', '+')).map(([, fields]) => (JSON.parse(fields[1]!) as { id: string }).id);
  t.deepEqual([...inStream].sort(), [...committed].sort(), 'every committed event once in the stream the new master holds');

  await sse.until((each) => each.messages.some((message) => message.data.includes('"after"')), 30_000);
  sse.close();
  const received = sse.messages.filter((message) => message.event !== 'stream.reset').map((message) => (JSON.parse(message.data) as { id: string }).id);
  t.deepEqual([...new Set(received)].sort(), [...committed].sort(), 'the client got every committed event');
  let segment = new Set<string>();
  for (const message of sse.messages) {
    if (message.event === 'stream.reset') {
      segment = new Set();
      continue;
    }
    const { id } = JSON.parse(message.data) as { id: string };
    t.false(segment.has(id), `${id} twice without a stream.reset between`);
    segment.add(id);
  }
});
