import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { Cluster, type Redis } from 'ioredis';
import { redisClusterNodes, redisTargetOf } from '../src/config/redis-target.ts';
import { openDb, type Db } from '../src/shared/db.ts';
import { connectRedis } from '../src/shared/redis.ts';
import { streamKey } from '../src/modules/events/stream-append.ts';
import { partitionTag, slotOf } from '../queues/partitions.ts';
import { startLocalRedisCluster, stopLocalRedisCluster, type LocalRedisCluster } from '../scripts/local-redis-cluster.ts';
import { startCluster, startNode, type TestCluster } from './support/cluster.ts';
import { request } from './support/http.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { launch, paramsFor, placeBet, waitForBet } from './support/bets.ts';
import { REDIS_CLUSTER_NODES } from './support/redis.ts';
import { waitForRelay, waitUntil } from './support/wait.ts';

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

const addressOf = (server: Redis) => `${server.options.host}:${server.options.port}`;

/**
 * Moves one slot to `target` as a resharding does, slowly enough that clients meet it
 * half-moved: MIGRATING/IMPORTING for a while (ASK for keys already moved), its keys
 * moved, then the new owner announced (MOVED from then on).
 */
async function moveSlot(slot: number, target: Redis): Promise<void> {
  const masters = redis.nodes('master');
  const ids = await Promise.all(masters.map((master) => master.cluster('MYID')));
  const owner = await masterOfSlot();
  const source = masters.find((master) => addressOf(master) === owner(slot))!;
  if (source === target) return;
  const sourceId = ids[masters.indexOf(source)]!;
  const targetId = ids[masters.indexOf(target)]!;
  await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
  await source.cluster('SETSLOT', slot, 'MIGRATING', targetId);
  await sleep(500);
  for (;;) {
    const keys = (await source.cluster('GETKEYSINSLOT', slot, 10)) as string[];
    if (keys.length === 0) break;
    await source.call('MIGRATE', target.options.host!, String(target.options.port), '', '0', '5000', 'KEYS', ...keys);
    await sleep(100);
  }
  await sleep(500);
  for (const master of [target, source, ...masters.filter((each) => each !== source && each !== target)]) await master.cluster('SETSLOT', slot, 'NODE', targetId);
}

// Serial (ava runs these first, in this order): the layout check before the slot moves.
test.serial('the partition tags hash where Redis says, at evenly spaced slots: two partitions of six on each of three masters', async (t) => {
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

test.serial('a slot moved to another master under traffic (ASK, then MOVED) is followed by the client: no request fails', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const client = operator.client();
  const session = await launch(client, 'mover');
  // The operator's stream, stream position and rate-limit counter live in this slot.
  const slot = slotOf(`op:${operator.id}`);
  const owner = (await masterOfSlot())(slot);
  const home = redis.nodes('master').find((master) => addressOf(master) === owner)!;
  const elsewhere = redis.nodes('master').find((master) => master !== home)!;
  const statuses: number[] = [];
  let moving = true;
  const traffic = (async () => {
    while (moving) {
      statuses.push((await client.get('/limits')).status);
      statuses.push((await placeBet(client, session, 100, { target: 50, direction: 'over' })).status);
    }
  })();
  await moveSlot(slot, elsewhere);
  t.is((await masterOfSlot())(slot), addressOf(elsewhere));
  await moveSlot(slot, home);
  moving = false;
  await traffic;
  t.true(statuses.length >= 4, `${statuses.length} requests during the moves`);
  t.deepEqual(statuses.filter((status) => status >= 500), [], 'no 5xx');
  await waitForRelay(db, operator.id);
  t.is(await redis.xlen(`${cluster.redisPrefix}${streamKey(operator.id)}`), Number((await db.query('SELECT count(*) FROM events WHERE operator_id = $1', [operator.id])).rows[0].count), 'every event in the stream');
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

  // The gauge adds a queue's partitions up: one series per queue and state.
  const metrics = (await request<string>('GET', `${adminUrlOf(node)}/metrics`)).body;
  t.is(metrics.match(/^rgs_queue_jobs\{queue="bet-debit",state="waiting"\} \d+$/gm)?.length, 1);

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
