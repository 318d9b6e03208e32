import { Redis } from 'ioredis';

/**
 * A connection for the product's own keys: every key gets REDIS_PREFIX (SPEC §2).
 * BullMQ gets its own connections and its `prefix` option instead (it refuses keyPrefix).
 * Pub/sub channel names are not prefixed by ioredis: use `channelName`.
 */
export function createRedis(url: string, prefix: string, name: string): Redis {
  const redis = new Redis(url, { keyPrefix: prefix, connectionName: `${prefix}${name}`, lazyConnect: false });
  // Errors are retried by ioredis; readiness is reported by /ready, not by crashing.
  redis.on('error', () => undefined);
  return redis;
}

export function channelName(prefix: string, channel: string): string {
  return `${prefix}${channel}`;
}
