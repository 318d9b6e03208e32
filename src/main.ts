import type { Server } from 'node:http';
import { env } from './config/env.ts';
import { createApp } from './app.ts';
import { createDb } from './shared/db.ts';
import { logger } from './shared/logger.ts';
import { ensureDatabase, migrate } from './shared/migrate.ts';
import { createRedis } from './shared/redis.ts';
import { createOperatorsService } from './modules/operators/service.ts';

// One RGS node: parse env → migrate (under a lock) → serve HTTP and/or run workers by
// RGS_ROLES → stop gracefully on SIGTERM (SPEC §2).

if (env.MIGRATE_ON_START) {
  await ensureDatabase(env.DATABASE_URL);
  const applied = await migrate(env.DATABASE_URL);
  if (applied.length) logger.info({ applied }, 'migrations applied');
}

const db = createDb(env.DATABASE_URL, env.DB_POOL_SIZE);
const redis = createRedis(env.REDIS_URL, env.REDIS_PREFIX, 'commands');
const subscriber = createRedis(env.REDIS_URL, env.REDIS_PREFIX, 'subscriber');
const operators = createOperatorsService({ db, redis, subscriber, redisPrefix: env.REDIS_PREFIX });

let shuttingDown = false;
let server: Server | undefined;

if (env.RGS_ROLES.includes('api')) {
  const app = createApp({ env, db, redis, logger, operators, isShuttingDown: () => shuttingDown });
  server = app.listen(env.PORT, () => {
    const address = server?.address();
    const port = typeof address === 'object' && address ? address.port : env.PORT;
    logger.info({ port, roles: env.RGS_ROLES }, 'rgs node listening');
  });
  server.keepAliveTimeout = 65_000;
} else {
  logger.info({ roles: env.RGS_ROLES }, 'rgs node started without HTTP');
}

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
    server.closeIdleConnections();
    await closed;
  }
  await operators.close();
  await Promise.allSettled([db.end(), redis.quit(), subscriber.quit()]);
  logger.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
