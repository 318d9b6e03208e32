import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import { streamKey } from '../src/modules/events/stream-append.ts';
import { useOwnRedisCluster } from './support/own-redis-cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch } from './support/bets.ts';
import { unrelayedCount, waitForRelay, waitUntil } from './support/wait.ts';

// Issue #21 point 2, the replica the master does not list: ROLE names only replicas whose
// link is up, but a replica whose link is down (or still syncing) and that the cluster has
// not failed can still be promoted when the master dies, and it lacks what the master took
// meanwhile. So the relay must not move its cursor past an append while its stream's
// master has such a replica; once the cluster has failed it, there is nothing to wait for.
// The link is cut by refusing the replica's PSYNC and SYNC on the master (ACL) and
// dropping its connection: it keeps retrying and failing, while the cluster bus, on which
// nodes judge each other, stays healthy, so the replica stays known and not failed for as
// long as the test needs (a SIGSTOP would have it failed after the node timeout, 3 s, and
// race the relay). On a cluster of its own: it changes a master's ACL and freezes a
// replica; the tests run one after the other.

const own = useOwnRedisCluster();

/** A line of CLUSTER NODES: its id, port, flags and master id. */
interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
}

async function clusterNodes(server: Redis): Promise<NodeLine[]> {
  return String(await server.cluster('NODES'))
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '-'] = line.split(' ');
      return { id, port: Number(/:(\d+)@/.exec(address)?.[1]), flags: flags.split(','), masterId };
    });
}

/** The master's replica as the master sees it. */
async function replicaAsSeenBy(master: Redis): Promise<NodeLine> {
  const nodes = await clusterNodes(master);
  const me = nodes.find((node) => node.flags.includes('myself'))!;
  const replica = nodes.find((node) => node.masterId === me.id);
  if (!replica) throw new Error(`no replica of ${me.id}`);
  return replica;
}

/** How many replicas ROLE lists on `master`: those whose link is up. */
async function onlineReplicas(master: Redis): Promise<number> {
  const role = (await master.role()) as [string, number, unknown[]];
  return role[2].length;
}

/** Whether the master sees its replica as failed, or possibly failed. */
const failed = (replica: NodeLine) => replica.flags.includes('fail') || replica.flags.includes('fail?');

/**
 * A new operator with one event relayed, and direct connections to its stream's master
 * and that master's replica.
 */
async function operatorWithStreamServers(t: ExecutionContext) {
  const operator = await createOperator(own.cluster.nodes[0]!);
  const client = operator.client();
  await launch(client, 'before');
  await waitForRelay(own.db, operator.id);
  const key = `${own.cluster.redisPrefix}${streamKey(operator.id)}`;
  const slot = Number(await own.redis.cluster('KEYSLOT', key));
  const ranges = await own.redis.cluster('SLOTS');
  const masterPort = ranges.find(([from, to]) => slot >= from && slot <= to)![2]![1];
  const master = new Redis({ host: '127.0.0.1', port: masterPort });
  t.teardown(() => master.disconnect());
  const replica = await replicaAsSeenBy(master);
  const replicaServer = new Redis({ host: '127.0.0.1', port: replica.port });
  t.teardown(() => replicaServer.disconnect());
  return { operator, client, key, master, replica, replicaServer };
}

test.serial('the relay holds its cursor while the master has a replica the cluster knows and that is not connected, and relays once it is back in sync', async (t) => {
  t.timeout(120_000);
  const { operator, client, key, master, replicaServer } = await operatorWithStreamServers(t);

  await master.acl('SETUSER', 'default', '-psync', '-sync');
  await master.call('CLIENT', 'KILL', 'TYPE', 'replica');
  await waitUntil(async () => (await onlineReplicas(master)) === 0, 'the master to list no replica');
  await waitUntil(async () => /master_link_status:down/.test(await replicaServer.info('replication')), 'the replica to see its link down');

  const node = own.cluster.nodes[0]!;
  const logsBefore = node.logs.length;
  const refusal = () => node.logs.slice(logsBefore).find((line) => line.includes('event relay pass failed'));
  await launch(client, 'unreplicated');
  // Until a pass has either refused to confirm the append or moved the cursor past it.
  await waitUntil(async () => refusal() !== undefined || (await unrelayedCount(own.db, operator.id)) === 0, 'the relay to decide on the append', 30_000);
  const refused = refusal();
  if (refused) t.log((JSON.parse(refused) as { err: { message: string } }).err.message);
  t.true((await unrelayedCount(own.db, operator.id)) > 0, 'the relay holds its cursor: the disconnected replica could be promoted and lacks the append');
  t.false(failed(await replicaAsSeenBy(master)), 'the replica was known and not failed throughout');
  t.is(await onlineReplicas(master), 0, 'and not connected');

  // PSYNC first, SYNC only once the link is up: a replica refused PSYNC falls back to SYNC,
  // the protocol of before Redis 2.8, whose offsets are not the master's, so no WAIT would
  // ever count its acknowledgements.
  await master.acl('SETUSER', 'default', '+psync');
  await waitUntil(async () => /master_link_status:up/.test(await replicaServer.info('replication')), 'the replica to be in sync again');
  await master.acl('SETUSER', 'default', '+@all');
  await waitForRelay(own.db, operator.id, 30_000);
  const committed = (await own.db.query<{ id: string }>('SELECT id FROM events WHERE operator_id = $1', [operator.id])).rows.map((row) => row.id);
  const inStream = (await own.redis.xrange(key, '-', '+')).map(([, fields]) => (JSON.parse(fields[1]!) as { id: string }).id);
  t.deepEqual([...inStream].sort(), [...committed].sort(), 'every committed event once in the stream');
});

test.serial('the relay does not wait for a replica the cluster has failed', async (t) => {
  t.timeout(120_000);
  const { operator, client, master, replica, replicaServer } = await operatorWithStreamServers(t);
  const replicaPid = Number((await readFile(path.join(own.redisCluster.dir, `redis-${replica.port}.pid`), 'utf8')).trim());

  process.kill(replicaPid, 'SIGSTOP');
  let thawed = false;
  t.teardown(() => {
    if (!thawed) process.kill(replicaPid, 'SIGCONT');
  });
  await master.call('CLIENT', 'KILL', 'TYPE', 'replica');
  await launch(client, 'replica failed');
  // Frozen past the node timeout: the masters agree it has failed.
  await waitUntil(async () => (await replicaAsSeenBy(master)).flags.includes('fail'), 'the cluster to fail the frozen replica', 30_000);
  await waitForRelay(own.db, operator.id, 30_000);
  t.true((await replicaAsSeenBy(master)).flags.includes('fail'), 'relayed while the replica was still failed');

  process.kill(replicaPid, 'SIGCONT');
  thawed = true;
  await waitUntil(
    async () => /master_link_status:up/.test(await replicaServer.info('replication')) && !failed(await replicaAsSeenBy(master)),
    'the thawed replica to be back and in sync',
    30_000,
  );
});
