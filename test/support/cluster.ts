import { createTestDatabase, type TestDatabase } from './database.ts';
import { createRedisPrefix, nodeRedisEnv } from './redis.ts';
import { startProcess, type RunningProcess } from './process.ts';
import { TEST_SECRETS_KEY } from './secrets.ts';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TEST_WALLET_SECRET = 'test-wallet-secret-0123456789';

/** `compiledIn`: run the compiled entry from a built folder (see startProcess). */
export function startWalletMock(env: NodeJS.ProcessEnv = {}, compiledIn?: string): Promise<RunningProcess> {
  return startProcess({
    name: 'walletmock',
    entry: 'walletmock/main.ts',
    env: { WALLET_SECRET: TEST_WALLET_SECRET, LOG_LEVEL: 'info', ...env },
    listeningMessage: '"msg":"walletmock listening"',
    ...(compiledIn !== undefined && { compiledIn }),
  });
}

/** One RGS node as `npm run start:node` runs it (or, with `compiledIn`, as the image does), on a free port. */
export function startNode(options: {
  databaseUrl: string;
  redisPrefix: string;
  walletUrl?: string;
  name?: string;
  env?: NodeJS.ProcessEnv;
  compiledIn?: string;
}) {
  const name = options.name ?? 'rgs-node';
  return startProcess({
    name,
    entry: 'src/main.ts',
    ...(options.compiledIn !== undefined && { compiledIn: options.compiledIn }),
    env: {
      NODE_ENV: 'test',
      NODE_ID: name,
      DATABASE_URL: options.databaseUrl,
      REDIS_PREFIX: options.redisPrefix,
      // Both listeners on ports the OS picks (PORT is 0 too); the log line names them.
      ADMIN_PORT: '0',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      WALLET_SECRET: TEST_WALLET_SECRET,
      SECRETS_KEY: TEST_SECRETS_KEY,
      WALLET_URL: options.walletUrl ?? 'http://127.0.0.1:9',
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
      // Tests send wrong keys on purpose (401s are what they check): the failed-authentication
      // limit (SPEC §11) is out of their way; test/auth-abuse.test.ts runs the default.
      AUTH_FAILURES_PER_SECOND: '1000000',
      // A loaded CI machine can be slow to settle a healthy bet; tests about 202 set their own.
      BET_RESPONSE_WAIT_MS: '10000',
      ...options.env,
      // This run's Redis: REDIS_URL, or REDIS_CLUSTER_NODES under `npm run test:cluster`.
      ...nodeRedisEnv(options.env),
    },
    // A workers-only node serves no HTTP: it reports that it started instead (port 0).
    listeningMessage: options.env?.RGS_ROLES === 'workers' ? '"msg":"rgs node started without HTTP"' : '"msg":"rgs node listening"',
  });
}

export interface TestCluster {
  database: TestDatabase;
  redisPrefix: string;
  wallet: RunningProcess;
  nodes: RunningProcess[];
  /** Starts one more node against the same database and Redis prefix. */
  addNode(name: string, env?: NodeJS.ProcessEnv): Promise<RunningProcess>;
  stop(): Promise<void>;
}

/** A database of its own, a Redis prefix of its own, the wallet mock and N real nodes. */
export async function startCluster(options: { nodes?: number; nodeEnv?: NodeJS.ProcessEnv; walletEnv?: NodeJS.ProcessEnv } = {}): Promise<TestCluster> {
  const database = await createTestDatabase();
  const redis = createRedisPrefix();
  const wallet = await startWalletMock(options.walletEnv);
  const addNode = (name: string, env?: NodeJS.ProcessEnv) =>
    startNode({ databaseUrl: database.url, redisPrefix: redis.prefix, walletUrl: wallet.url, name, env: { ...options.nodeEnv, ...env } });
  const nodes = await Promise.all(Array.from({ length: options.nodes ?? 1 }, (_, index) => addNode(`node-${String.fromCharCode(97 + index)}`)));
  const cluster: TestCluster = {
    database,
    redisPrefix: redis.prefix,
    wallet,
    nodes,
    async addNode(name, env) {
      const node = await addNode(name, env);
      cluster.nodes.push(node);
      return node;
    },
    async stop() {
      await Promise.all([...cluster.nodes, wallet].map((proc) => proc.stop('SIGKILL')));
      await redis.cleanup();
      await database.drop();
    },
  };
  return cluster;
}
