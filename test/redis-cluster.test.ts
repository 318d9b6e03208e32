import test from 'ava';
import { Cluster, type Redis } from 'ioredis';
import { redisClusterNodes, redisTargetOf } from '../src/config/redis-target.ts';
import { openDb, type Db } from '../src/shared/db.ts';
import { connectRedis } from '../src/shared/redis.ts';
import { streamKey } from '../src/modules/events/stream-append.ts';
import { partitionTag, slotOf } from '../queues/partitions.ts';
import { startLocalRedisCluster, stopLocalRedisCluster, type LocalRedisCluster } from '../scripts/local-redis-cluster.ts';
import { startCluster, startNode, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch, paramsFor, placeBet, waitForBet } from './support/bets.ts';
import { REDIS_CLUSTER_NODES } from './support/redis.ts';
import { waitUntil } from './support/wait.ts';

// Issue #21: on a Redis Cluster the product's keys spread over the masters: each operator's
// stream under a hash tag of its own, the BullMQ queues in partitions at evenly spaced
// slots (one bet's jobs in one partition), and a node told of a node that is not there
// stops with a clear error. Runs on the cluster of `npm run test:cluster`, or on a local
// cluster of its own under plain `npm test`.

const PARTITIONS = 6;
let own: LocalRedisCluster | undefined;
let nodes: string;
let redis: Cluster;
let cluster: TestCluster;
let db: Db;

test.before(async () => {
  if (!REDIS_CLUSTER_NODES) own = await startLocalRedisCluster();
  nodes = REDIS_CLUSTER_NODES ?? own!.nodes;
  redis = connectRedis(redisTargetOf({ REDIS_CLUSTER_NODES: redisClusterNodes.parse(nodes) }), {}) as Cluster;
  cluster = await startCluster({ nodes: 1, nodeEnv: { REDIS_CLUSTER_NODES: nodes, QUEUE_PARTITIONS: String(PARTITIONS) } });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
  redis?.disconnect();
  if (own) await stopLocalRedisCluster(own.dir);
});

/** Which master serves each slot, as the cluster says (CLUSTER SLOTS). */
async function masterOfSlot(): Promise<(slot: number) => string> {
  const ranges = await redis.cluster('SLOTS');
  return (slot) => {
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no master serves slot ${slot}`);
    const [host, port] = range[2]!;
    return `${host}:${port}`;
  };
}

/** Keys under `pattern` on each master. */
async function keysByMaster(pattern: string): Promise<Map<string, string[]>> {
  const masters = redis.nodes('master') as Redis[];
  const found = await Promise.all(masters.map(async (master) => [`${master.options.host}:${master.options.port}`, await master.keys(pattern)] as const));
  return new Map(found.filter(([, keys]) => keys.length > 0));
}

test('the partition tags hash where Redis says, at evenly spaced slots: two partitions of six on each of three masters', async (t) => {
  const master = await masterOfSlot();
  const counts = new Map<string, number>();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const tag = partitionTag(partition, PARTITIONS);
    const key = `rgs:bull:{${tag}}:bet-debit:wait`;
    t.is(slotOf(tag), await redis.cluster('KEYSLOT', key), key);
    counts.set(master(slotOf(tag)), (counts.get(master(slotOf(tag))) ?? 0) + 1);
  }
  t.deepEqual([...counts.values()], [2, 2, 2]);
});

test('one busy operator\'s queued jobs spread over more than one master; different operators\' streams too', async (t) => {
  const node = cluster.nodes[0]!;
  const operators = await Promise.all(Array.from({ length: 8 }, () => createOperator(node)));
  // Each launch writes a session event, which the relay appends to the operator's stream.
  await Promise.all(operators.map((operator) => launch(operator.client(), 'player')));
  const busy = operators[0]!;
  const client = busy.client();
  const session = await launch(client, 'busy-player');
  const bets: string[] = [];
  for (let i = 0; i < 12; i++) {
    const placed = await placeBet(client, session, 100, await paramsFor(db, busy.id, 'busy-player', i % 2 ? 'win' : 'lose'));
    t.true(placed.status === 201 || placed.status === 202, `bet ${i}: ${placed.status}`);
    bets.push(placed.body.id);
  }
  for (const id of bets) await waitForBet(client, id);

  const queueMasters = await keysByMaster(`${cluster.redisPrefix}bull:*`);
  t.true(queueMasters.size > 1, `the bets' jobs are all on ${[...queueMasters.keys()].join(', ')}`);

  const master = await masterOfSlot();
  await waitUntil(async () => (await keysByMaster(`${cluster.redisPrefix}stream:*`)).size > 1, 'the streams to be appended');
  const streamMasters = new Set(operators.map((operator) => master(slotOf(`op:${operator.id}`))));
  t.true(streamMasters.size > 1, 'eight operators\' streams on one master');
  for (const operator of operators) t.is(await redis.cluster('KEYSLOT', `${cluster.redisPrefix}${streamKey(operator.id)}`), slotOf(`op:${operator.id}`));
});

test('a node told of a cluster node that is not there exits non-zero within 30 s, naming it', async (t) => {
  const started = Date.now();
  const error = await t.throwsAsync(
    startNode({ databaseUrl: cluster.database.url, redisPrefix: cluster.redisPrefix, name: 'node-bad-cluster', env: { REDIS_CLUSTER_NODES: `${nodes},127.0.0.1:1` } }),
  );
  t.true(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
  t.regex(error!.message, /exited \(1\)/);
  t.regex(error!.message, /redis cluster not usable \(REDIS_CLUSTER_NODES\): 127\.0\.0\.1:1: /);
});
