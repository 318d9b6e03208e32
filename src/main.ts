import type { Server } from 'node:http';
import { env } from './config/env.ts';
import { createApp } from './app.ts';
import { createServices } from './services.ts';
import { logger } from './shared/logger.ts';
import { ensureDatabase, migrate } from './shared/migrate.ts';
import { startWorkers } from '../queues/worker.ts';
import { debitProcessor } from '../queues/processors/debit.ts';
import { creditProcessor } from '../queues/processors/credit.ts';
import { rollbackProcessor } from '../queues/processors/rollback.ts';
import { webhookProcessor } from '../queues/processors/webhook.ts';
import { startSweeper } from './modules/bets/sweeper.ts';
import { startWebhookSweeper } from './modules/webhooks/sweeper.ts';
import { createQueueBoard } from '../bull-board/board.ts';

// One RGS node: parse env → migrate (under a lock) → serve HTTP and/or run workers by
// RGS_ROLES → stop gracefully on SIGTERM (SPEC §2).

if (env.MIGRATE_ON_START) {
  await ensureDatabase(env.DATABASE_URL);
  const applied = await migrate(env.DATABASE_URL);
  if (applied.length) logger.info({ applied }, 'migrations applied');
}

const services = createServices(env, logger);
let shuttingDown = false;
let server: Server | undefined;

if (env.RGS_ROLES.includes('api')) {
  const queueBoard = createQueueBoard(services.queueSettings, '/admin/queues');
  const app = createApp({ env, logger, services, queueBoard, isShuttingDown: () => shuttingDown });
  server = app.listen(env.PORT, () => {
    const address = server?.address();
    const port = typeof address === 'object' && address ? address.port : env.PORT;
    logger.info({ port, roles: env.RGS_ROLES }, 'rgs node listening');
  });
  server.keepAliveTimeout = 65_000;
}

const workers = env.RGS_ROLES.includes('workers')
  ? startWorkers({
      ...services.queueSettings,
      concurrency: env.WORKER_CONCURRENCY,
      logger,
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
if (!server) logger.info({ roles: env.RGS_ROLES }, 'rgs node started without HTTP');

async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  shuttingDown = true;
  logger.info({ signal }, 'shutting down: finishing in-flight work');
  const deadline = setTimeout(() => {
    logger.error('shutdown deadline passed: exiting with work unfinished');
    process.exit(1);
  }, env.SHUTDOWN_TIMEOUT_MS);
  deadline.unref();
  if (server) {
    const closed = new Promise<void>((resolve) => server?.close(() => resolve()));
    // Open SSE streams never finish on their own: end them (with a retry hint) or close would wait forever.
    await services.stream.close();
    server.closeIdleConnections();
    await closed;
  }
  sweeper?.stop();
  webhookSweeper?.stop();
  await services.bets.drain();
  await workers?.close();
  await services.close();
  logger.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
