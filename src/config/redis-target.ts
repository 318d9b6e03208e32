import { z } from 'zod';

// Where the product's Redis is (src/config/env.ts): one server (REDIS_URL) or a Redis
// Cluster (REDIS_CLUSTER_NODES). Kept apart from env.ts, which parses process.env when
// imported, so that tools with an environment of their own (bull-board/main.ts) can use it.

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
// Two partitions per master of a 3-master cluster (queues/partitions.ts spaces them evenly).
const CLUSTER_QUEUE_PARTITIONS = 6;

/** REDIS_CLUSTER_NODES: `host:port,…`, some or all of the cluster's nodes (ioredis finds the rest). */
export const redisClusterNodes = z
  .string()
  .transform((raw) => raw.split(',').map((node) => node.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port, comma separated')).min(1, 'name at least one node (host:port)'));

/** One server, or the seed nodes of a cluster. */
export type RedisTarget = { url: string } | { clusterNodes: { host: string; port: number }[] };

interface RedisVariables {
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES?: string[] | undefined;
  QUEUE_PARTITIONS?: number | undefined;
}

export function redisTargetOf(env: RedisVariables): RedisTarget {
  if (!env.REDIS_CLUSTER_NODES) return { url: env.REDIS_URL ?? DEFAULT_REDIS_URL };
  return {
    clusterNodes: env.REDIS_CLUSTER_NODES.map((node) => {
      const separator = node.lastIndexOf(':');
      return { host: node.slice(0, separator), port: Number(node.slice(separator + 1)) };
    }),
  };
}

/** QUEUE_PARTITIONS, or its default: 1 on one Redis; on a cluster, enough to spread the queues over its masters. */
export function queuePartitionsOf(env: RedisVariables): number {
  return env.QUEUE_PARTITIONS ?? (env.REDIS_CLUSTER_NODES ? CLUSTER_QUEUE_PARTITIONS : 1);
}
