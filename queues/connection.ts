import type { RedisTarget } from '../src/config/redis-target.ts';
import { connectRedis, type RedisClient } from '../src/shared/redis.ts';
import { partitionTag } from './partitions.ts';

/** BullMQ's settings: its own connections (blocking commands must never time out), prefix and partitions. */
export interface QueueSettings {
  redis: RedisTarget;
  /** SPEC §2: every key starts with REDIS_PREFIX; BullMQ's keys are `${REDIS_PREFIX}bull:{<partition tag>}:…`. */
  redisPrefix: string;
  /** QUEUE_PARTITIONS: every queue of the catalog is split into this many (queues/partitions.ts). */
  partitions: number;
}

/** The BullMQ prefix of a partition: its hash tag puts every key of its queues in one slot. */
export function bullPrefix(settings: QueueSettings, partition: number): string {
  return `${settings.redisPrefix}bull:{${partitionTag(partition, settings.partitions)}}`;
}

export function createBullConnection(settings: QueueSettings, name: string): RedisClient {
  const redis = connectRedis(settings.redis, { maxRetriesPerRequest: null, connectionName: `${settings.redisPrefix}${name}` });
  redis.on('error', () => undefined);
  return redis;
}
