import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/redis-target.ts';

/** One Redis or a Redis Cluster: the same commands for callers (src/config/env.ts, REDIS_URL or REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

type ConnectionOptions = Pick<RedisOptions, 'keyPrefix' | 'connectionName' | 'maxRetriesPerRequest' | 'lazyConnect'>;

/**
 * A connection to `target`. On a cluster, ioredis' Cluster follows MOVED and ASK itself
 * (a resharding or a failover retries the command on the right node, it never reaches the
 * caller as an error) and applies `keyPrefix` to every command, as one Redis does.
 */
export function connectRedis(target: RedisTarget, options: ConnectionOptions): RedisClient {
  if ('url' in target) return new Redis(target.url, options);
  return new Cluster(target.clusterNodes, {
    redisOptions: options,
    ...(options.lazyConnect !== undefined && { lazyConnect: options.lazyConnect }),
    // A failover takes the cluster's node timeout plus an election: keep commands queued meanwhile.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    maxRedirections: 32,
  });
}

/**
 * A connection for the product's own keys: every key gets REDIS_PREFIX (SPEC §2).
 * BullMQ gets its own connections and its `prefix` option instead (it refuses keyPrefix).
 * Pub/sub channel names are not prefixed by ioredis: use `channelName`.
 */
export function createRedis(target: RedisTarget, prefix: string, name: string): RedisClient {
  const redis = connectRedis(target, { keyPrefix: prefix, connectionName: `${prefix}${name}`, lazyConnect: false });
  // Errors are retried by ioredis; readiness is reported by /ready, not by crashing.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * The hash tag of an operator's keys (issue #21): its stream and stream position share a
 * slot (the append script touches both), and different operators' keys spread over a
 * cluster's masters. On one Redis the braces are just characters of the key.
 */
export function operatorTag(operatorId: string): string {
  return `{op:${operatorId}}`;
}

export function channelName(prefix: string, channel: string): string {
  return `${prefix}${channel}`;
}
