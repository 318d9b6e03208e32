import { readFile, rm } from 'node:fs/promises';
import { LAST_CLUSTER_FILE, rememberLastCluster, startLocalRedisCluster, stopLocalRedisCluster } from './local-redis-cluster.ts';

// `npm run redis-cluster`: starts a local Redis Cluster (3 masters, 3 replicas, free ports,
// nothing persisted) and prints the REDIS_CLUSTER_NODES to run the product on it.
// `npm run redis-cluster -- --stop [dir]`: stops it (the last one started, or the one in `dir`).

const [flag, dirArgument] = process.argv.slice(2);
if (flag === '--stop') {
  const dir = dirArgument ?? (await readFile(LAST_CLUSTER_FILE, 'utf8').catch(() => '')).trim();
  if (!dir) {
    console.error('no cluster to stop: none was started here (or pass its folder: --stop <dir>)');
    process.exit(1);
  }
  await stopLocalRedisCluster(dir);
  if (!dirArgument) await rm(LAST_CLUSTER_FILE, { force: true });
  console.log(`stopped the redis cluster in ${dir}`);
} else if (flag === undefined) {
  const cluster = await startLocalRedisCluster();
  await rememberLastCluster(cluster);
  console.log(`REDIS_CLUSTER_NODES=${cluster.nodes}`);
  console.log(`# 3 masters + 3 replicas in ${cluster.dir}; stop them with: npm run redis-cluster -- --stop ${cluster.dir}`);
} else {
  console.error('usage: npm run redis-cluster [-- --stop [dir]]');
  process.exit(1);
}
