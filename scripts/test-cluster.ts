import { spawn } from 'node:child_process';
import { startLocalRedisCluster, stopLocalRedisCluster } from './local-redis-cluster.ts';

// `npm run test:cluster`: the bets, events/stream and rate-limit tests on a Redis Cluster
// of their own (3 masters, 3 replicas, scripts/local-redis-cluster.ts): REDIS_CLUSTER_NODES
// set, REDIS_URL unset, for the tests and every node they start. Extra arguments go to ava.

const TESTS = [
  'test/bets.test.ts',
  'test/stream.test.ts',
  'test/events-end-to-end.test.ts',
  'test/event-relay.test.ts',
  'test/rate-limit.test.ts',
  'test/redis-cluster.test.ts',
  'src/modules/events/stream-append.test.ts',
];

const cluster = await startLocalRedisCluster();
console.log(`redis cluster up: REDIS_CLUSTER_NODES=${cluster.nodes}`);
let code = 1;
try {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_CLUSTER_NODES: cluster.nodes };
  delete env.REDIS_URL;
  delete env.TEST_REDIS_URL;
  const args = process.argv.slice(2);
  // One file at a time: each starts several nodes, and a cluster client costs each node
  // more than one Redis; on a small CI machine, two such files at once time out waits.
  const files = args.some((arg) => !arg.startsWith('-')) ? args : [...TESTS, ...args];
  const ava = spawn('npx', ['ava', '--concurrency=1', ...files], { env, stdio: 'inherit' });
  code = await new Promise<number>((resolve) => ava.once('exit', (exitCode) => resolve(exitCode ?? 1)));
} finally {
  await stopLocalRedisCluster(cluster.dir);
}
process.exit(code);
