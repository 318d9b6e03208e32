import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { migrate } from '../src/shared/migrate.ts';
import { appRoleOfEnvironment } from '../src/shared/app-role.ts';
import type { RedisTarget } from '../src/config/redis-target.ts';
import { spawnNodeService, spawnRedis, type ChaosProcess } from './processes.ts';
import { freePort } from '../test/support/local-service.ts';
import { startLocalRedisCluster, stopLocalRedisCluster, type LocalRedisCluster } from '../scripts/local-redis-cluster.ts';
import { watchRedisFailovers, type RedisFailoverWatch } from './redis-failover.ts';

// The system under test, all on loopback: a database of the run's own, a redis-server of
// its own (so restarting it disturbs nobody else) or, with --redis-cluster, a Redis
// Cluster of its own (3 masters, 3 replicas), the wallet mock and N RGS nodes. Nodes
// keep their port across restarts, as a backend behind a load balancer does.

export const CHAOS_ADMIN_TOKEN = `chaos-admin-${randomBytes(8).toString('hex')}`;

/**
 * Node settings that make recovery observable within a run: short wallet timeouts and
 * retry caps, frequent sweeps and relay passes. Retry *bounds* (debit attempts, park
 * after) stay at their defaults: the run checks the product's rules, not easier ones.
 */
const NODE_SETTINGS: NodeJS.ProcessEnv = {
  NODE_ENV: 'test',
  MIGRATE_ON_START: 'false',
  WALLET_TIMEOUT_MS: '500',
  BET_RETRY_BASE_MS: '100',
  BET_RETRY_MAX_MS: '2000',
  SWEEP_INTERVAL_MS: '1000',
  RELAY_INTERVAL_MS: '500',
  WEBHOOK_RETRY_BASE_MS: '200',
  WEBHOOK_RETRY_MAX_MS: '3000',
  DB_POOL_SIZE: '8',
};

export interface ChaosCluster {
  databaseUrl: string;
  databaseName: string;
  walletUrl: string;
  /** One secret per operator; the wallet mock accepts each. */
  walletSecrets: [string, string];
  /** Where the nodes' Redis is, across restarts and failovers, and the nodes' REDIS_PREFIX. */
  redisTarget: RedisTarget;
  /** For the log: the one Redis's port, or the cluster's nodes. */
  redisDescription: string;
  redisPrefix: string;
  wallet: ChaosProcess;
  /** The node at each slot right now (a restarted node replaces its slot's entry). */
  nodes: ChaosProcess[];
  /** Every base URL, dead or alive: what a load balancer without health checks would hand out. */
  nodeUrls(): string[];
  /** Every node's admin listener (admin API, /metrics; SPEC §2), by slot. */
  adminUrls(): string[];
  /** Signals the node, waits for its exit, waits `downMs`, starts it again on the same port. */
  restartNode(slot: number, signal: NodeJS.Signals, downMs: number): Promise<{ exit: number | string; stopMs: number }>;
  /** SIGKILLs redis-server and starts an empty one on the same port after `downMs` (one Redis only). */
  restartRedis(downMs: number): Promise<void>;
  /** When each Redis restart killed the old server (ms since the epoch). */
  redisKilledAt: number[];
  /** With --redis-cluster: kills masters and counts the promotions of their replicas. */
  redisFailovers: RedisFailoverWatch | undefined;
  /** Processes that exited without being asked to, with their exit. */
  crashes: string[];
  teardown(options: { dropDatabase: boolean }): Promise<string[]>;
}

function databaseUrlFor(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function startChaosCluster(options: {
  runId: string;
  nodes: number;
  logDir: string;
  logLevel: string;
  postgresAdminUrl: string;
  walletStartBalance: number;
  /** A Redis Cluster of the run's own instead of one redis-server. */
  redisCluster: boolean;
  onCreated(teardown: ChaosCluster['teardown']): void;
}): Promise<ChaosCluster> {
  const databaseName = `rgs_chaos_${options.runId}`;
  const databaseUrl = databaseUrlFor(options.postgresAdminUrl, databaseName);
  const walletSecrets: [string, string] = [`chaos-wallet-a-${randomBytes(8).toString('hex')}`, `chaos-wallet-b-${randomBytes(8).toString('hex')}`];
  const started = new Set<ChaosProcess>();
  const crashes: string[] = [];
  let databaseCreated = false;
  let localRedisCluster: LocalRedisCluster | undefined;
  const logFile = (name: string) => path.join(options.logDir, `${name}.log`);

  // Every process is known from its spawn on, so a teardown mid-start stops it too.
  const watch = (proc: ChaosProcess) => {
    started.add(proc);
    void proc.exited.then((exit) => {
      if (!proc.stopping) crashes.push(`${proc.name} (pid ${proc.pid}) exited on its own: ${exit}`);
    });
  };

  const teardown: ChaosCluster['teardown'] = async ({ dropDatabase }) => {
    const problems: string[] = [];
    await Promise.all([...started].map((proc) => proc.stop('SIGKILL')));
    if (localRedisCluster) await stopLocalRedisCluster(localRedisCluster.dir).catch((error: Error) => problems.push(`stopping the redis cluster: ${error.message}`));
    if (databaseCreated && dropDatabase) {
      await withAdmin(options.postgresAdminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`)).catch((error: Error) =>
        problems.push(`dropping ${databaseName}: ${error.message}`),
      );
    }
    return problems;
  };
  options.onCreated(teardown);

  await withAdmin(options.postgresAdminUrl, (client) => client.query(`CREATE DATABASE ${databaseName}`));
  databaseCreated = true;
  // As the owner; the nodes (this process's environment and DATABASE_URL) connect as the application role.
  await migrate(databaseUrl, appRoleOfEnvironment(process.env));

  // Distinct ports, picked one after the other (the OS could hand a just-closed one out twice).
  const ports = new Set<number>();
  const newPort = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (ports.has(port)) continue;
      ports.add(port);
      return port;
    }
  };
  const redisPrefix = `chaos:${options.runId}:`;
  const redisPort = await newPort();
  let redis: ChaosProcess | undefined;
  let redisTarget: RedisTarget;
  let redisFailovers: RedisFailoverWatch | undefined;
  if (options.redisCluster) {
    // Its own free ports (not the run's port set): taken once, kept until the teardown.
    localRedisCluster = await startLocalRedisCluster();
    redisTarget = { clusterNodes: localRedisCluster.ports.map((port) => ({ host: '127.0.0.1', port })) };
    redisFailovers = await watchRedisFailovers(localRedisCluster);
  } else {
    redis = await spawnRedis({ port: redisPort, dir: options.logDir, logFile: logFile('redis'), onSpawn: watch });
    redisTarget = { url: `redis://127.0.0.1:${redisPort}` };
  }
  const redisEnv: NodeJS.ProcessEnv = localRedisCluster
    ? { REDIS_CLUSTER_NODES: localRedisCluster.nodes, REDIS_URL: undefined }
    : { REDIS_URL: `redis://127.0.0.1:${redisPort}`, REDIS_CLUSTER_NODES: undefined };
  const wallet = await spawnNodeService({
    name: 'walletmock',
    entry: 'walletmock/main.ts',
    port: await newPort(),
    env: { WALLET_SECRET: walletSecrets.join(','), WALLET_START_BALANCE: String(options.walletStartBalance), LOG_LEVEL: options.logLevel },
    logFile: logFile('walletmock'),
    onSpawn: watch,
  });

  const slots: { name: string; port: number; adminPort: number; starts: number }[] = [];
  for (let slot = 0; slot < options.nodes; slot++) {
    slots.push({ name: `node-${String.fromCharCode(97 + slot)}`, port: await newPort(), adminPort: await newPort(), starts: 0 });
  }
  const startNode = async (slot: number) => {
    const spec = slots[slot]!;
    spec.starts += 1;
    return spawnNodeService({
      name: `${spec.name}#${spec.starts}`,
      entry: 'src/main.ts',
      port: spec.port,
      env: {
        ...NODE_SETTINGS,
        NODE_ID: `${spec.name}#${spec.starts}`,
        DATABASE_URL: databaseUrl,
        ...redisEnv,
        REDIS_PREFIX: redisPrefix,
        ADMIN_PORT: String(spec.adminPort),
        ADMIN_TOKEN: CHAOS_ADMIN_TOKEN,
        WALLET_URL: wallet.url,
        WALLET_SECRET: walletSecrets[0],
        LOG_LEVEL: options.logLevel,
      },
      logFile: logFile(spec.name),
      onSpawn: watch,
    });
  };
  const nodes = await Promise.all(slots.map((_, slot) => startNode(slot)));

  const cluster: ChaosCluster = {
    databaseUrl,
    databaseName,
    walletUrl: wallet.url,
    walletSecrets,
    redisTarget,
    redisDescription: localRedisCluster ? `cluster ${localRedisCluster.nodes}` : `:${redisPort}`,
    redisPrefix,
    wallet,
    nodes,
    nodeUrls: () => slots.map((spec) => `http://127.0.0.1:${spec.port}`),
    adminUrls: () => slots.map((spec) => `http://127.0.0.1:${spec.adminPort}`),
    async restartNode(slot, signal, downMs) {
      const node = cluster.nodes[slot]!;
      const stoppedAt = Date.now();
      const exit = await node.stop(signal);
      const stopMs = Date.now() - stoppedAt;
      started.delete(node);
      await sleep(downMs);
      cluster.nodes[slot] = await startNode(slot);
      return { exit, stopMs };
    },
    async restartRedis(downMs) {
      if (!redis) throw new Error('a Redis Cluster is failed over, not restarted');
      cluster.redisKilledAt.push(Date.now());
      await redis.stop('SIGKILL');
      started.delete(redis);
      await sleep(downMs);
      redis = await spawnRedis({ port: redisPort, dir: options.logDir, logFile: logFile('redis'), onSpawn: watch });
    },
    redisKilledAt: [],
    redisFailovers,
    crashes,
    teardown,
  };
  return cluster;
}
