import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { redisClusterNodes, redisTargetOf, type RedisTarget } from '../../src/config/redis-target.ts';
import { connectRedis, type RedisClient } from '../../src/shared/redis.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Set by `npm run test:cluster` (scripts/test-cluster.ts): the tests and the nodes they
 * start run on that Redis Cluster instead of the one Redis at REDIS_URL.
 */
export const REDIS_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES || undefined;

/** Where this test run's Redis is. */
export const REDIS_TARGET: RedisTarget = REDIS_CLUSTER_NODES
  ? redisTargetOf({ REDIS_CLUSTER_NODES: redisClusterNodes.parse(REDIS_CLUSTER_NODES) })
  : { url: REDIS_URL };

/** The variables that point a node at this run's Redis (a test's own REDIS_URL or REDIS_CLUSTER_NODES wins). */
export function nodeRedisEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  if (env.REDIS_URL !== undefined) return { REDIS_URL: env.REDIS_URL, REDIS_CLUSTER_NODES: undefined };
  if (env.REDIS_CLUSTER_NODES !== undefined) return { REDIS_CLUSTER_NODES: env.REDIS_CLUSTER_NODES, REDIS_URL: undefined };
  return REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES, REDIS_URL: undefined } : { REDIS_URL };
}

/** A connection to this run's Redis, one server or the cluster (keys as given, unless `keyPrefix`). */
export function connectTestRedis(options: { keyPrefix?: string; maxRetriesPerRequest?: null } = {}): RedisClient {
  return connectRedis(REDIS_TARGET, options);
}

/** Each server holding keys: the one Redis, or every master of the cluster. */
function serversOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Keys matching `pattern` on every server (KEYS on a cluster asks only one node). */
export async function keysOf(redis: RedisClient, pattern: string): Promise<string[]> {
  if (redis instanceof Cluster) await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
  return (await Promise.all(serversOf(redis).map((server) => server.keys(pattern)))).flat();
}

/** CLIENT LIST of every server (on a cluster, each connection is on the node it reads from). */
export async function clientListOf(redis: RedisClient): Promise<{ line: string; server: Redis }[]> {
  if (redis instanceof Cluster) await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
  const servers = redis instanceof Cluster ? redis.nodes('all') : [redis];
  const lists = await Promise.all(servers.map(async (server) => ({ server, list: (await server.client('LIST')) as string })));
  return lists.flatMap(({ server, list }) => list.split('\n').filter(Boolean).map((line) => ({ line, server })));
}

/** A key prefix of its own for one test file, and a way to delete everything under it. */
export function createRedisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `rgstest:${randomBytes(5).toString('hex')}:`;
  return {
    prefix,
    async cleanup() {
      const redis = connectTestRedis();
      try {
        // One DEL per key: on a cluster the keys are in many slots.
        for (const key of await keysOf(redis, `${prefix}*`)) await redis.del(key);
      } finally {
        redis.disconnect();
      }
    },
  };
}
