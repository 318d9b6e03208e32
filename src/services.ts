import type { Logger } from 'pino';
import type { Env } from './config/env.ts';
import { queuePartitionsOf, redisTargetOf } from './config/redis-target.ts';
import type { Db } from './shared/db.ts';
import { createRedis } from './shared/redis.ts';
import { outboundTargetPolicy } from './shared/outbound-target.ts';
import { createSecretsKeyring, previousKeys } from './shared/secrets-keyring.ts';
import { createEnqueuer } from '../queues/enqueue.ts';
import { createOperatorsService } from './modules/operators/service.ts';
import { createWalletClient } from './modules/wallet/client.ts';
import { createWalletCallBounds } from './modules/wallet/operator-bounds.ts';
import { createBetRuntime } from './modules/bets/runtime.ts';
import { createBetsService } from './modules/bets/service.ts';
import { createDecidedBets } from './modules/bets/decided-bets.ts';
import type { RetryPolicy } from './modules/bets/retry-policy.ts';
import { createOutboxService } from './modules/outbox/service.ts';
import { startEventRelay } from './modules/events/relay.ts';
import { createSessionsService } from './modules/sessions/service.ts';
import { createDeliveries } from './modules/webhooks/deliveries.ts';
import { createWebhooksService } from './modules/webhooks/service.ts';
import { createStreamHub } from './modules/stream/hub.ts';
import { registerStateGauges } from './shared/gauges.ts';

/**
 * Everything a node runs on, built once from the environment (plain factories, no DI
 * framework), on the process's one database pool (`db`, MikroORM's: src/main.ts opens it).
 */
export function createServices(env: Env, logger: Logger, db: Db) {
  const redisTarget = redisTargetOf(env);
  const redis = createRedis(redisTarget, env.REDIS_PREFIX, 'commands');
  const subscriber = createRedis(redisTarget, env.REDIS_PREFIX, 'subscriber');
  const queueSettings = { redis: redisTarget, redisPrefix: env.REDIS_PREFIX, partitions: queuePartitionsOf(env) };
  const enqueuer = createEnqueuer(queueSettings, { logger });
  // SPEC §11: seals wallet/webhook secrets and unrevealed server seeds at rest.
  const keyring = createSecretsKeyring(env.SECRETS_KEY, previousKeys(env.SECRETS_KEYS_PREVIOUS));
  // SPEC §6/§7: which addresses wallet and webhook calls may reach.
  const targets = outboundTargetPolicy(env);
  const operators = createOperatorsService({
    orm: db.orm,
    redis,
    subscriber,
    redisPrefix: env.REDIS_PREFIX,
    defaultWallet: { url: env.WALLET_URL, secret: env.WALLET_SECRET },
    keyring,
    targets,
  });
  const wallet = createWalletClient({ timeoutMs: env.WALLET_TIMEOUT_MS, allowPrivateTargets: targets.allowPrivateTargets });
  // A call over its operator's bound waits at most one wallet timeout (by then every call in
  // flight when it came has ended), else goes through the queue.
  const walletCalls = createWalletCallBounds({ perOperator: env.WALLET_CALLS_PER_OPERATOR, maxWaitMs: env.WALLET_TIMEOUT_MS });
  const policy: RetryPolicy = {
    debitAttempts: env.BET_DEBIT_ATTEMPTS,
    baseMs: env.BET_RETRY_BASE_MS,
    maxMs: env.BET_RETRY_MAX_MS,
    parkAfterMs: env.BET_PARK_AFTER_MS,
    leaseMs: env.WALLET_TIMEOUT_MS + 5_000,
  };
  const webhooks = createWebhooksService({
    db,
    enqueuer,
    operators,
    logger,
    settings: {
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      baseMs: env.WEBHOOK_RETRY_BASE_MS,
      maxMs: env.WEBHOOK_RETRY_MAX_MS,
      firstAttemptsInFlight: env.WEBHOOK_FIRST_ATTEMPTS_IN_FLIGHT,
      firstAttemptsPerOperator: env.WEBHOOK_FIRST_ATTEMPTS_PER_OPERATOR,
      httpsOnly: targets.requireHttps,
      allowPrivateTargets: targets.allowPrivateTargets,
    },
  });
  const relay = startEventRelay({
    db,
    redis,
    logger,
    retention: { maxLen: env.STREAM_MAX_LEN, retentionMs: env.STREAM_RETENTION_MS },
    intervalMs: env.RELAY_INTERVAL_MS,
    // SPEC §7: webhook deliveries are created in the relay's transaction; their first
    // attempt runs in this node after the commit, retries through the queue.
    hooks: { inTransaction: createDeliveries, afterCommit: async (deliveries) => webhooks.sendFirstAttempts(deliveries) },
  });
  // Every commit that wrote event rows asks the relay to append them at once.
  const eventsCommitted = () => relay.kick();
  const sessions = createSessionsService({ db, keyring, sessionTtlSeconds: env.SESSION_TTL_SECONDS, eventsCommitted });
  // POST /bets waits on these announcements, never by polling Postgres (one subscription per node).
  const decidedBets = createDecidedBets({ redis, subscriber, redisPrefix: env.REDIS_PREFIX, logger });
  const runtime = createBetRuntime({ db, wallet, walletCalls, operators, enqueuer, policy, logger, eventsCommitted, moneyDecided: decidedBets.announce });
  const bets = createBetsService({ db, keyring, runtime, decidedBets, logger, policy, responseWaitMs: env.BET_RESPONSE_WAIT_MS, eventsCommitted });
  const outbox = createOutboxService({ enqueuer });

  // SPEC §7 SSE: the hub opens its own Redis Stream reader connections (one per operator being watched).
  const stream = createStreamHub({
    redis: redisTarget,
    redisPrefix: env.REDIS_PREFIX,
    logger,
    heartbeatMs: env.SSE_HEARTBEAT_MS,
    retryMs: env.SSE_RETRY_MS,
    clientBuffer: env.SSE_CLIENT_BUFFER,
    maxBacklogBytes: env.SSE_MAX_BACKLOG_BYTES,
    maxClientsPerOperator: env.SSE_MAX_CLIENTS_PER_OPERATOR,
    maxClients: env.SSE_MAX_CLIENTS,
    maxReplay: env.SSE_MAX_REPLAY,
  });

  // SPEC §9: queue depths, outbox depth and parked bets, read from Redis and Postgres at scrape time.
  registerStateGauges({ orm: db.orm, queues: enqueuer.queues(), logger });

  return {
    db,
    orm: db.orm,
    redis,
    keyring,
    queueSettings,
    enqueuer,
    operators,
    relay,
    sessions,
    runtime,
    bets,
    outbox,
    webhooks,
    stream,
    /** Closes connections; call after HTTP and workers have stopped. */
    async close() {
      await stream.close();
      await relay.stop();
      // After the relay (no new first attempts), before the queues (a failed one enqueues its retry).
      await webhooks.close();
      await operators.close();
      await decidedBets.close();
      await Promise.allSettled([enqueuer.close(), wallet.close()]);
      await Promise.allSettled([db.end(), redis.quit(), subscriber.quit()]);
    },
  };
}

export type Services = ReturnType<typeof createServices>;
