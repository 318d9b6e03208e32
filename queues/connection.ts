import { Redis } from 'ioredis';

/** BullMQ's settings: its own connections (blocking commands must never time out) and prefix. */
export interface QueueSettings {
  redisUrl: string;
  /** SPEC §2: every key starts with REDIS_PREFIX; BullMQ's keys are `${REDIS_PREFIX}bull:…`. */
  redisPrefix: string;
}

export function bullPrefix(settings: QueueSettings): string {
  return `${settings.redisPrefix}bull`;
}

export function createBullConnection(settings: QueueSettings, name: string): Redis {
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: null, connectionName: `${settings.redisPrefix}${name}` });
  redis.on('error', () => undefined);
  return redis;
}
