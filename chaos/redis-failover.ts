import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { killRedisClusterNode, startRedisClusterNode, waitForClusterReady, type LocalRedisCluster } from '../scripts/local-redis-cluster.ts';

// `npm run chaos -- --redis-cluster` (docs/chaos.md): the run's Redis is a local cluster of
// 3 masters and 3 replicas, and instead of restarting a lone Redis it SIGKILLs the master
// that holds an operator's stream, waits until that master's replica has taken over, and
// starts the killed server again (it rejoins as a replica of the new master, empty, and
// syncs; the failover is over once it is in sync, so that a next one has a replica).
// Promotions are counted from CLUSTER NODES, not assumed.

const FAILOVER_TIMEOUT_MS = 60_000;
const POLL_MS = 200;

interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  /** The id of its master, for a replica. */
  masterId: string | undefined;
  /** Slot ranges served, for a master. */
  slots: [number, number][];
}

/** The cluster as one node sees it: each line of CLUSTER NODES. */
function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '-', , , , , ...slots] = line.split(' ');
      const flagList = flags.split(',');
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1] ?? 0),
        master: flagList.includes('master'),
        failed: flagList.includes('fail'),
        masterId: masterId === '-' ? undefined : masterId,
        slots: slots
          .filter((range) => /^\d+(-\d+)?$/.test(range))
          .map((range) => {
            const [from, to = from] = range.split('-').map(Number);
            return [from!, to!] as [number, number];
          }),
      };
    });
}

async function ask<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T | undefined> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, connectTimeout: 1_000, commandTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** CLUSTER NODES from the first of `ports` that answers and says the cluster is ok. */
async function topology(ports: readonly number[]): Promise<ClusterNode[] | undefined> {
  for (const port of ports) {
    const nodes = await ask(port, async (redis) => {
      const info = await redis.cluster('INFO');
      if (!/cluster_state:ok/.test(info)) return undefined;
      return parseClusterNodes(String(await redis.cluster('NODES')));
    });
    if (nodes) return nodes;
  }
  return undefined;
}

export interface RedisFailoverWatch {
  /** Kills the master serving `key` (a full key, prefix included); resolves once its replica serves its slots and the killed server is back. */
  failOver(key: string, log: (line: string) => void, afterKill?: () => void): Promise<void>;
  /** Nodes serving slots now that did not at the start: replicas promoted (CLUSTER NODES). */
  promotions(): Promise<number>;
  /** When each master was killed (ms since the epoch). */
  killedAt: number[];
}

export async function watchRedisFailovers(cluster: LocalRedisCluster): Promise<RedisFailoverWatch> {
  const initial = await topology(cluster.ports);
  if (!initial) throw new Error('the redis cluster is not ok: no node says cluster_state:ok');
  // Masters serving slots at the start (a replica's role may not have reached every node's
  // view yet when the cluster first says ok, but slot owners are settled by then).
  const startedServing = new Set(initial.filter((node) => node.master && node.slots.length > 0).map((node) => node.id));
  const killedAt: number[] = [];

  return {
    killedAt,
    async failOver(key, log, afterKill) {
      const slot = await ask(cluster.ports[0]!, async (redis) => Number(await redis.cluster('KEYSLOT', key)));
      const before = await topology(cluster.ports);
      const master = before?.find((node) => node.master && !node.failed && node.slots.some(([from, to]) => slot !== undefined && slot >= from && slot <= to));
      if (!master) throw new Error(`no master serves slot ${slot} of ${key}`);
      const survivors = cluster.ports.filter((port) => port !== master.port);
      killedAt.push(Date.now());
      await killRedisClusterNode(cluster.dir, master.port);
      afterKill?.();
      log(`SIGKILL redis master :${master.port} (slot ${slot}, ${key})`);
      const deadline = Date.now() + FAILOVER_TIMEOUT_MS;
      for (;;) {
        const now = await topology(survivors);
        const heir = now?.find((node) => node.master && !node.failed && node.slots.some(([from, to]) => slot! >= from && slot! <= to));
        if (heir && heir.id !== master.id) {
          log(`redis replica :${heir.port} took over slot ${slot} ${((Date.now() - killedAt.at(-1)!) / 1000).toFixed(1)} s after the kill`);
          break;
        }
        if (Date.now() > deadline) throw new Error(`no replica took over slot ${slot} within ${FAILOVER_TIMEOUT_MS} ms of killing :${master.port}`);
        await sleep(POLL_MS);
      }
      // Back, so that every node named in REDIS_CLUSTER_NODES answers again (a node that
      // starts checks that) and the new master has a replica again.
      await startRedisClusterNode(cluster.dir, master.port);
      await waitForClusterReady(cluster.ports, Math.max(0, deadline - Date.now()), [master.port]).catch((error: Error) => {
        throw new Error(`the killed redis :${master.port} did not rejoin within ${FAILOVER_TIMEOUT_MS} ms: ${error.message}`);
      });
      log(`redis :${master.port} back as a replica`);
    },
    async promotions() {
      const now = await topology(cluster.ports);
      return (now ?? []).filter((node) => node.master && !node.failed && node.slots.length > 0 && !startedServing.has(node.id)).length;
    },
  };
}
