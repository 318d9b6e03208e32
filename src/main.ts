import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { adminPortOf, env } from './config/env.ts';
import { redisTargetOf } from './config/redis-target.ts';
import { createAdminApp, createApp } from './app.ts';
import { createServices } from './services.ts';
import { rebaseEventRelayAfterRestore } from './modules/events/relay-rebase.ts';
import { logger } from './shared/logger.ts';
import { ensureDatabase, migrate } from './shared/migrate.ts';
import { openDb } from './shared/db.ts';
import { appDatabaseUrl, appRoleOf } from './shared/app-role.ts';
import { startWorkers } from '../queues/worker.ts';
import { debitProcessor } from '../queues/processors/debit.ts';
import { creditProcessor } from '../queues/processors/credit.ts';
import { rollbackProcessor } from '../queues/processors/rollback.ts';
import { webhookProcessor } from '../queues/processors/webhook.ts';
import { startSweeper } from './modules/bets/sweeper.ts';
import { startWebhookSweeper } from './modules/webhooks/sweeper.ts';
import { startPartitionUpkeep } from './modules/partitions/upkeep.ts';
import { createQueueBoard } from '../bull-board/board.ts';
import { flushTelemetry } from './telemetry/flush.ts';
import { answerClientErrors } from './http/client-errors.ts';
import { resealOperatorSecrets } from './modules/operators/sealed-secrets.ts';
import { resealServerSeeds } from './modules/fairness/sealed-seeds.ts';
import { runPeriodically } from './shared/periodic.ts';
import { clusterProblem } from './shared/redis-cluster-check.ts';
import { settlesWithin } from './shared/with-timeout.ts';

const CLUSTER_CHECK_MS = 10_000;

// One RGS node: parse env → migrate (under a lock) → serve HTTP and/or run workers by
// RGS_ROLES → stop gracefully on SIGTERM (SPEC §2).

// Issue #21: on a Redis Cluster, every node named must answer (and the cluster be ok)
// before anything starts; otherwise a clear error and a non-zero exit, within 30 s.
const redisTarget = redisTargetOf(env);
if ('clusterNodes' in redisTarget) {
  const problem = await clusterProblem(redisTarget.clusterNodes, CLUSTER_CHECK_MS);
  if (problem) {
    logger.fatal({ problem }, `redis cluster not usable (REDIS_CLUSTER_NODES): ${problem}`);
    process.exit(1);
  }
}

// As the owner, and every connection closed before the node serves: from here on the node
// connects as the application role only (src/shared/app-role.ts, SPEC §11).
if (env.MIGRATE_ON_START) {
  await ensureDatabase(env.DATABASE_URL);
  const applied = await migrate(env.DATABASE_URL, appRoleOf(env));
  if (applied.length) logger.info({ applied }, 'migrations applied');
}

// The process's one pool: MikroORM's, as the application role, never the owner (the
// database keeps the audit trail append-only). Without Postgres it still opens (its
// connection check fails quietly); queries fail until Postgres is back, and /ready says so.
const db = await openDb(appDatabaseUrl(env), env.DB_POOL_SIZE);

// Before anything of this node can write an event (src/modules/events/relay-rebase.ts). A
// node still starts without Postgres or Redis (it reports not ready); its relay then
// refuses to relay while the order is wrong, loudly (src/modules/events/relay.ts).
await rebaseEventRelayAfterRestore({ db, redis: redisTarget, redisPrefix: env.REDIS_PREFIX, logger }).catch(
  (error: unknown) => logger.warn({ err: error }, 'event relay: could not check the relay order at startup; the relay checks it on every pass'),
);

const services = createServices(env, logger, db);

// SPEC §11: secrets and unrevealed seeds stored in clear before migration 0007 are sealed
// before this node serves (every node, MIGRATE_ON_START or not: it only reads when there
// is nothing left to seal). Postgres refuses any write to such a row until then, so if
// Postgres cannot be reached now, this is tried again until it is done.
async function sealSecretsStoredInClear(): Promise<void> {
  const options = { mode: 'clear', batchSize: 500 } as const;
  const [operators, seedPairs] = await Promise.all([
    resealOperatorSecrets(services.db, services.keyring, options),
    resealServerSeeds(services.db, services.keyring, options),
  ]);
  if (operators.resealed + seedPairs.resealed > 0) logger.info({ operators: operators.resealed, seedPairs: seedPairs.resealed }, 'sealed the secrets stored in clear');
}
await sealSecretsStoredInClear().catch((error: unknown) => {
  logger.error({ err: error }, 'could not seal the secrets stored in clear; trying again every 5 s');
  const retry = runPeriodically(
    async () => {
      await sealSecretsStoredInClear();
      retry.stop();
    },
    { intervalMs: 5_000, logger, name: 'sealing the secrets stored in clear' },
  );
});

let shuttingDown = false;
/** The public listener and the admin listener (SPEC §2), when this node serves HTTP. */
let servers: Server[] = [];

/** Serves `app` on `port` (0: the OS picks) and `host` (unset: every interface); resolves once listening. */
function listen(app: Express, port: number, host: string | undefined): Promise<Server> {
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server);
  // While shutting down, answers say `Connection: close`: clients take their next request elsewhere.
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (shuttingDown) res.setHeader('Connection', 'close');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

if (env.RGS_ROLES.includes('api')) {
  const queueBoard = createQueueBoard(services.queueSettings, '/admin/queues');
  const app = createApp({ env, logger, services, isShuttingDown: () => shuttingDown });
  const adminApp = createAdminApp({ env, logger, services, queueBoard });
  try {
    servers = await Promise.all([listen(app, env.PORT, undefined), listen(adminApp, adminPortOf(env), env.ADMIN_HOST)]);
  } catch (error) {
    logger.fatal({ err: error }, 'could not listen');
    process.exit(1);
  }
  const [port, adminPort] = servers.map((server) => (server.address() as AddressInfo).port);
  logger.info({ port, adminPort, adminHost: env.ADMIN_HOST, roles: env.RGS_ROLES }, 'rgs node listening');
}

const workers = env.RGS_ROLES.includes('workers')
  ? startWorkers({
      ...services.queueSettings,
      concurrency: env.WORKER_CONCURRENCY,
      logger,
      orm: services.orm,
      processors: {
        debit: debitProcessor(services.runtime),
        credit: creditProcessor(services.runtime),
        rollback: rollbackProcessor(services.runtime),
        webhook: webhookProcessor(services.webhooks),
      },
    })
  : undefined;
const sweeper = workers ? startSweeper({ db: services.db, enqueuer: services.enqueuer, logger, intervalMs: env.SWEEP_INTERVAL_MS }) : undefined;
const webhookSweeper = workers
  ? startWebhookSweeper({ db: services.db, enqueuer: services.enqueuer, logger, intervalMs: env.SWEEP_INTERVAL_MS })
  : undefined;
const partitionUpkeep = workers ? startPartitionUpkeep({ db: services.db, logger, retentionDays: env.RETENTION_DAYS }) : undefined;
if (!servers.length) logger.info({ roles: env.RGS_ROLES }, 'rgs node started without HTTP');

/**
 * Stops accepting connections on every listener and lets the requests in flight finish,
 * for at most `budgetMs`; then whatever connection is left is cut.
 */
async function stopHttp(httpServers: Server[], budgetMs: number): Promise<void> {
  const closed = Promise.all(httpServers.map((httpServer) => new Promise<void>((resolve) => httpServer.close(() => resolve()))));
  // Open SSE streams never finish on their own: end them (with a retry hint) or close would wait forever.
  await services.stream.close();
  // close() only closes the connections idle at that moment; a keep-alive connection whose
  // request was in flight would stay open for keepAliveTimeout (65 s) after its answer.
  // Close each one as soon as its answer is out (an ended SSE stream's at once).
  const closeIdle = () => httpServers.forEach((httpServer) => httpServer.closeIdleConnections());
  const closeIdleTimer = setInterval(closeIdle, 100);
  closeIdle();
  try {
    if (await settlesWithin(closed, budgetMs)) return;
    // E.g. a client that never finished sending its request (held until headersTimeout,
    // 60 s), or a request that waits longer than the budget.
    logger.warn({ budgetMs }, 'shutdown: connections still open after the HTTP budget; closing them');
    httpServers.forEach((httpServer) => httpServer.closeAllConnections());
    await closed;
  } finally {
    clearInterval(closeIdleTimer);
  }
}

async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  shuttingDown = true;
  logger.info({ signal }, 'shutting down: finishing in-flight work');
  // The steps not finished yet, named in the deadline's log line: what held the node up.
  const unfinished = new Set<string>();
  const step = async (name: string, work: Promise<unknown> | undefined): Promise<void> => {
    unfinished.add(name);
    await work;
    unfinished.delete(name);
  };
  const deadline = setTimeout(() => {
    logger.error({ unfinished: [...unfinished] }, 'shutdown deadline passed: exiting with work unfinished');
    process.exit(1);
  }, env.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  sweeper?.stop();
  webhookSweeper?.stop();
  partitionUpkeep?.stop();
  // HTTP and the queue workers drain side by side (worker.close() waits for running jobs,
  // each bounded by the wallet timeout). HTTP gets two thirds of the deadline; the rest is
  // for in-process settlements and closing connections. SPEC §2, §10.6.
  await Promise.all([
    step('http', servers.length ? stopHttp(servers, Math.floor((env.SHUTDOWN_TIMEOUT_MS * 2) / 3)) : undefined),
    step('queue workers', workers?.close(Math.floor((env.SHUTDOWN_TIMEOUT_MS * 2) / 3))),
  ]);
  await step('in-process settlements', services.bets.drain());
  await step('connections', services.close());
  // The last spans, if tracing is on; never worth missing the deadline for.
  await settlesWithin(flushTelemetry(), 2_000);
  logger.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
