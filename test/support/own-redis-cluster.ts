import test from 'ava';
import type { Cluster } from 'ioredis';
import { redisClusterNodes, redisTargetOf } from '../../src/config/redis-target.ts';
import { openDb, type Db } from '../../src/shared/db.ts';
import { connectRedis } from '../../src/shared/redis.ts';
import { startLocalRedisCluster, stopLocalRedisCluster, type LocalRedisCluster } from '../../scripts/local-redis-cluster.ts';
import { startCluster, type TestCluster } from './cluster.ts';

/** What a test file that breaks a Redis Cluster works with; set before its first test. */
export interface OwnRedisCluster {
  redisCluster: LocalRedisCluster;
  /** A cluster client of the test's own, to look at the cluster and its streams. */
  redis: Cluster;
  /** One RGS node on that cluster (RELAY_INTERVAL_MS 300). */
  cluster: TestCluster;
  db: Db;
}

/**
 * For a test file that kills, freezes or cuts off nodes of a Redis Cluster: a local cluster
 * of its own, one RGS node on it and a connection to its database, started before the
 * file's tests and stopped after them. Call it once at the top of the file.
 */
export function useOwnRedisCluster(): OwnRedisCluster {
  const own = {} as OwnRedisCluster;
  test.before(async () => {
    own.redisCluster = await startLocalRedisCluster();
    own.redis = connectRedis(redisTargetOf({ REDIS_CLUSTER_NODES: redisClusterNodes.parse(own.redisCluster.nodes) }), {}) as Cluster;
    own.cluster = await startCluster({ nodes: 1, nodeEnv: { REDIS_CLUSTER_NODES: own.redisCluster.nodes, REDIS_URL: undefined, RELAY_INTERVAL_MS: '300' } });
    own.db = await openDb(own.cluster.database.url, 2);
  });
  test.after.always(async () => {
    await own.db?.end();
    await own.cluster?.stop();
    own.redis?.disconnect();
    if (own.redisCluster) await stopLocalRedisCluster(own.redisCluster.dir);
  });
  return own;
}
