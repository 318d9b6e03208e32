import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { migrate } from '../src/shared/migrate.ts';
import { nodeOptionsWithHeap } from '../src/config/node-heap.ts';
import { appRoleOfEnvironment } from '../src/shared/app-role.ts';
import { startBenchProcess, type BenchProcess } from './processes.ts';
import { config } from './config.ts';
import { freePort } from '../test/support/local-service.ts';

// What the benchmark runs against: either a cluster of its own (a fresh database
// rgs_bench_<random>, a Redis key prefix of its own, the wallet mock and two RGS nodes,
// all on loopback), or one that is already running (BENCH_TARGET_URLS + BENCH_WALLET_URL).

export const ADMIN_POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BenchTarget {
  /** Node base URLs the load is spread over. */
  nodeUrls: string[];
  /** The first node's admin listener, where the operator is created (SPEC §2). */
  adminUrl: string;
  walletUrl: string;
  adminToken: string;
  /** The wallet secret operators created here sign with (undefined: the nodes' default). */
  walletSecret: string | undefined;
  /** The product database, for verification and pg_stat_database (undefined: not known). */
  databaseUrl: string | undefined;
  databaseName: string | undefined;
  /** The nodes' REDIS_PREFIX (undefined when targeting). */
  redisPrefix: string | undefined;
  /** Processes the benchmark started (empty when targeting). */
  nodes: BenchProcess[];
  wallet: BenchProcess | undefined;
  /** PIDs whose RSS is reported, one per node (targeting: BENCH_TARGET_PIDS). */
  nodePids: number[];
  /** When each node process was spawned (Date.now()), for the profile window. */
  spawnedAt: Map<string, number>;
  /** Stops what was started, drops the database and the Redis keys; lists what went wrong. */
  teardown(log: (line: string) => void): Promise<string[]>;
  /** Filled by the teardown: keys found (and deleted) under the run's Redis prefix. */
  cleanup: { redisKeys?: number };
  /** Stops the nodes only (SIGTERM, SIGKILL after 15 s); answers "name: exit" per node. */
  stopNodes(): Promise<{ name: string; exit: number | string }[]>;
}

export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function databaseUrlFor(name: string): string {
  const url = new URL(ADMIN_POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function cleanRedis(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export function targetFromEnv(): BenchTarget | undefined {
  const raw = process.env.BENCH_TARGET_URLS;
  if (!raw) return undefined;
  const nodeUrls = raw.split(',').map((url) => url.trim().replace(/\/+$/, '')).filter(Boolean);
  const walletUrl = process.env.BENCH_WALLET_URL?.replace(/\/+$/, '');
  if (!walletUrl) throw new Error('BENCH_TARGET_URLS needs BENCH_WALLET_URL (the wallet mock the nodes call)');
  for (const url of [...nodeUrls, walletUrl]) if (!isLoopback(url)) throw new Error(`${url} is not a loopback address; the benchmark only talks to this machine`);
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const pids = (process.env.BENCH_TARGET_PIDS ?? '').split(',').filter(Boolean).map(Number);
  // Unset: the first node's default admin port, PORT + 1000.
  const firstNode = new URL(nodeUrls[0] ?? 'http://127.0.0.1:3001');
  const adminUrl = process.env.BENCH_ADMIN_URL?.replace(/\/+$/, '') ?? `http://${firstNode.hostname}:${Number(firstNode.port) + 1000}`;
  if (!isLoopback(adminUrl)) throw new Error(`${adminUrl} is not a loopback address; the benchmark only talks to this machine`);
  return {
    nodeUrls,
    adminUrl,
    walletUrl,
    adminToken: process.env.BENCH_ADMIN_TOKEN ?? process.env.ADMIN_TOKEN ?? 'demo-admin-token-LOCAL-ONLY',
    walletSecret: process.env.BENCH_WALLET_SECRET ?? process.env.WALLET_SECRET,
    databaseUrl,
    databaseName: databaseUrl ? decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) : undefined,
    redisPrefix: undefined,
    nodes: [],
    wallet: undefined,
    nodePids: pids,
    spawnedAt: new Map(),
    teardown: async () => [],
    cleanup: {},
    stopNodes: async () => [],
  };
}

/**
 * BENCH_NODE_ROOTS: one checkout per node, comma-separated, an empty entry meaning this
 * one. Running node-a from one version and node-b from another puts both under the same
 * load at the same moment, so their CPU per bet can be compared without the machine's
 * drift between runs (docs/performance.md, "Comparing two versions"). Each checkout
 * needs its own node_modules.
 */
function nodeRoots(nodeCount: number): (string | undefined)[] {
  const raw = process.env.BENCH_NODE_ROOTS;
  const entries = raw ? raw.split(',').map((entry) => entry.trim()) : [];
  if (entries.length > nodeCount) throw new Error(`BENCH_NODE_ROOTS names ${entries.length} checkouts for ${nodeCount} nodes`);
  return Array.from({ length: nodeCount }, (_, index) => {
    const entry = entries[index];
    if (!entry) return undefined;
    const root = path.resolve(entry);
    if (!existsSync(path.join(root, 'src/main.ts')) || !existsSync(path.join(root, 'node_modules'))) {
      throw new Error(`BENCH_NODE_ROOTS: ${root} is not a checkout with src/main.ts and node_modules`);
    }
    return root;
  });
}

/**
 * A cluster of the benchmark's own. Whatever was created before a failure is undone by
 * `teardown`, which `onCreated` receives as soon as there is something to undo.
 */
export async function startOwnCluster(options: {
  runId: string;
  nodeCount: number;
  profileDir: string | undefined;
  log: (line: string) => void;
  onCreated: (teardown: BenchTarget['teardown']) => void;
  /** More environment for every node (e.g. the SSE phase's connection caps). */
  nodeEnv?: NodeJS.ProcessEnv;
}): Promise<BenchTarget> {
  const databaseName = `rgs_bench_${options.runId}`;
  const databaseUrl = databaseUrlFor(databaseName);
  const redisPrefix = `rgsbench:${options.runId}:`;
  const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`;
  const walletSecret = `bench-wallet-${randomBytes(12).toString('hex')}`;
  // One key for every node: a secret or seed one node seals, the other must open.
  const secretsKey = randomBytes(32).toString('hex');
  // The nodes run as production, which needs the application role's password.
  const appDbPassword = process.env.APP_DB_PASSWORD ?? `bench-app-db-${randomBytes(12).toString('hex')}`;
  const started: BenchProcess[] = [];
  const cleanup: BenchTarget['cleanup'] = {};
  let databaseCreated = false;

  const stopAll = async (procs: BenchProcess[]) =>
    Promise.all(procs.map(async (proc) => ({ name: proc.name, exit: await proc.stop(15_000) })));

  const teardown = async (log: (line: string) => void): Promise<string[]> => {
    const problems: string[] = [];
    const stopped = await stopAll(started);
    for (const { name, exit } of stopped) if (exit !== 0) problems.push(`${name} exited with ${exit} after SIGTERM`);
    try {
      const deleted = await cleanRedis(redisPrefix);
      cleanup.redisKeys = deleted;
      log(`redis: deleted ${deleted} keys under ${redisPrefix}`);
    } catch (error) {
      problems.push(`redis cleanup failed: ${(error as Error).message}`);
    }
    if (databaseCreated) {
      try {
        await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
        log(`postgres: dropped ${databaseName}`);
      } catch (error) {
        problems.push(`dropping ${databaseName} failed: ${(error as Error).message}`);
      }
    }
    return problems;
  };
  options.onCreated(teardown);

  await withAdmin((client) => client.query(`CREATE DATABASE ${databaseName}`));
  databaseCreated = true;
  // As the owner; the nodes derive the application role's URL from the same DATABASE_URL.
  const appRole = appRoleOfEnvironment({ ...process.env, APP_DB_PASSWORD: appDbPassword });
  const applied = await migrate(databaseUrl, appRole);
  options.log(`postgres: created ${databaseName}, applied ${applied.length} migrations`);
  // BENCH_COUNTS=1 counts the nodes' statements in the server log (costs.ts); from their first connection on.
  if (config.counts) await withAdmin((client) => client.query(`ALTER ROLE "${appRole.name}" IN DATABASE ${databaseName} SET log_statement = 'all'`));

  const walletPromise = startBenchProcess({
    name: 'walletmock',
    entry: 'walletmock/main.ts',
    env: { WALLET_SECRET: walletSecret, LOG_LEVEL: 'warn' },
    listeningMessage: '"msg":"walletmock listening"',
  });
  void walletPromise.then((proc) => started.push(proc)).catch(() => undefined);
  const wallet = await walletPromise;

  const spawnedAt = new Map<string, number>();
  const names = Array.from({ length: options.nodeCount }, (_, index) => `node-${String.fromCharCode(97 + index)}`);
  const roots = nodeRoots(options.nodeCount);
  // The admin listeners (SPEC §2) on ports picked one after the other and distinct.
  const adminPorts: number[] = [];
  while (adminPorts.length < names.length) {
    const port = await freePort();
    if (!adminPorts.includes(port)) adminPorts.push(port);
  }
  const nodes = await Promise.all(
    names.map(async (name, index) => {
      let nodeArgs: string[] = [];
      if (options.profileDir) {
        const dir = path.join(options.profileDir, name);
        mkdirSync(dir, { recursive: true });
        nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
      }
      spawnedAt.set(name, Date.now());
      const proc = await startBenchProcess({
        name,
        entry: 'src/main.ts',
        nodeArgs,
        cwd: roots[index],
        env: {
          NODE_ENV: 'production',
          NODE_ID: name,
          DATABASE_URL: databaseUrl,
          REDIS_URL,
          REDIS_PREFIX: redisPrefix,
          ADMIN_PORT: String(adminPorts[index]),
          ADMIN_TOKEN: adminToken,
          WALLET_URL: wallet.url,
          WALLET_SECRET: walletSecret,
          APP_DB_PASSWORD: appDbPassword,
          // The wallet mock and the webhook receiver are on loopback, which production refuses by default.
          ALLOW_PRIVATE_TARGETS: 'true',
          // Production refuses demo secrets (SPEC §2): this run's own.
          SECRETS_KEY: secretsKey,
          // Migrated above, once; DB_POOL_SIZE and the rest stay at their defaults.
          MIGRATE_ON_START: 'false',
          LOG_LEVEL: 'warn',
          // As the product starts its nodes (npm start, the Dockerfile).
          NODE_OPTIONS: nodeOptionsWithHeap(process.env.NODE_OPTIONS),
          ...options.nodeEnv,
        },
      });
      started.push(proc);
      return proc;
    }),
  );
  for (const node of nodes) {
    const ready = await fetch(`${node.url}/ready`);
    if (ready.status !== 200) throw new Error(`${node.name} is not ready: ${ready.status} ${await ready.text()}`);
  }
  options.log(
    `started walletmock (${wallet.url}, pid ${wallet.pid}) and ` +
      nodes.map((n, index) => `${n.name} (${n.url}, pid ${n.pid}${roots[index] ? `, from ${roots[index]}` : ''})`).join(', '),
  );

  return {
    nodeUrls: nodes.map((node) => node.url),
    adminUrl: `http://127.0.0.1:${adminPorts[0]}`,
    walletUrl: wallet.url,
    adminToken,
    walletSecret,
    databaseUrl,
    databaseName,
    redisPrefix,
    nodes,
    wallet,
    nodePids: nodes.map((node) => node.pid),
    spawnedAt,
    teardown,
    cleanup,
    stopNodes: () => stopAll(nodes),
  };
}
