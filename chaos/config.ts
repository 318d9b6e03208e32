import { randomInt } from 'node:crypto';
import { z } from 'zod';

// What one chaos run does, parsed once from CHAOS_* variables (docs/chaos.md lists them).
// `npm run chaos` takes the defaults below; test/chaos.test.ts passes a small run.

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const rate = z.coerce.number().min(0).max(1);

const envSchema = z
  .object({
    CHAOS_BETS: count(10, 1_000_000).default(4_000),
    // Any 32-bit integer; the default is random and printed, so a failing run can be replayed.
    CHAOS_SEED: count(0, 2 ** 32 - 1).optional(),
    CHAOS_NODES: count(2, 8).default(3),
    CHAOS_PLAYERS: count(4, 100_000).default(200),
    CHAOS_CONCURRENCY: count(1, 512).default(24),
    CHAOS_KILLS: count(0, 100).default(5),
    CHAOS_SIGTERMS: count(0, 100).default(1),
    CHAOS_REDIS_RESTARTS: count(0, 20).default(1),
    CHAOS_SSE_CLIENTS: count(0, 50).default(2),
    CHAOS_ERROR_RATE: rate.default(0.2),
    CHAOS_TIMEOUT_RATE: rate.default(0.1),
    CHAOS_LOST_RATE: rate.default(0.1),
    CHAOS_MAX_LATENCY_MS: count(0, 5_000).default(20),
    // The adversarial wallet (docs/chaos.md): on unless 0.
    CHAOS_ADVERSARY: z.enum(['0', '1']).default('1'),
    CHAOS_REFUSE_RETRY_RATE: rate.default(0.3),
    CHAOS_DRAIN_SECONDS: count(10, 3_600).default(180),
    CHAOS_MAX_SECONDS: count(30, 24 * 3_600).optional(),
    CHAOS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('warn'),
    CHAOS_KEEP: z.enum(['0', '1']).default('0'),
  })
  .refine((env) => env.CHAOS_ERROR_RATE + env.CHAOS_TIMEOUT_RATE + env.CHAOS_LOST_RATE <= 1, {
    message: 'CHAOS_ERROR_RATE + CHAOS_TIMEOUT_RATE + CHAOS_LOST_RATE must not exceed 1',
  });

export interface ChaosConfig {
  bets: number;
  seed: number;
  nodes: number;
  /** Players per operator (two operators). */
  players: number;
  /** Bet requests in flight at once. */
  concurrency: number;
  kills: number;
  sigterms: number;
  redisRestarts: number;
  /** SSE clients per operator. */
  sseClients: number;
  /** Wallet fault rates, the same on debit, credit and rollback (SPEC §6 PUT /__faults). */
  faults: { errorRate: number; timeoutRate: number; lostResponseRate: number; maxLatencyMs: number };
  /**
   * The adversarial wallet, or null: retries of debits and credits refused with a 4xx at
   * this rate, and the outcome spy looking every held debit's bet up (issue #17).
   */
  adversary: { refuseRetryRate: number } | null;
  drainSeconds: number;
  /** Watchdog: the whole run, setup and checks included (default: 5 min + 0.2 s per bet + the drain bound). */
  maxSeconds: number;
  logLevel: string;
  /** Keep the database and the log directory even when every invariant holds. */
  keep: boolean;
  /** Admin connection used to create and drop the run's database. */
  postgresAdminUrl: string;
  /** `--redis-cluster`: a Redis Cluster of the run's own, one of whose masters is killed (instead of a Redis restart). */
  redisCluster: boolean;
}

const FLAGS = ['--redis-cluster'];

/** Parses the environment and the command line's flags; throws an Error that names every bad variable or flag. */
export function chaosConfigFromEnv(source: NodeJS.ProcessEnv, flags: readonly string[] = []): ChaosConfig {
  const unknown = flags.filter((flag) => !FLAGS.includes(flag));
  if (unknown.length) throw new Error(`unknown chaos flags: ${unknown.join(' ')} (known: ${FLAGS.join(' ')})`);
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(source).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    throw new Error(`invalid chaos settings:\n${parsed.error.issues.map((issue) => `  ${issue.path.join('.') || 'CHAOS_*'}: ${issue.message}`).join('\n')}`);
  }
  const env = parsed.data;
  return {
    bets: env.CHAOS_BETS,
    seed: env.CHAOS_SEED ?? randomInt(2 ** 31),
    nodes: env.CHAOS_NODES,
    players: env.CHAOS_PLAYERS,
    concurrency: env.CHAOS_CONCURRENCY,
    kills: env.CHAOS_KILLS,
    sigterms: env.CHAOS_SIGTERMS,
    redisRestarts: env.CHAOS_REDIS_RESTARTS,
    sseClients: env.CHAOS_SSE_CLIENTS,
    faults: {
      errorRate: env.CHAOS_ERROR_RATE,
      timeoutRate: env.CHAOS_TIMEOUT_RATE,
      lostResponseRate: env.CHAOS_LOST_RATE,
      maxLatencyMs: env.CHAOS_MAX_LATENCY_MS,
    },
    adversary: env.CHAOS_ADVERSARY === '1' ? { refuseRetryRate: env.CHAOS_REFUSE_RETRY_RATE } : null,
    drainSeconds: env.CHAOS_DRAIN_SECONDS,
    maxSeconds: env.CHAOS_MAX_SECONDS ?? Math.ceil(300 + env.CHAOS_BETS / 5 + env.CHAOS_DRAIN_SECONDS),
    logLevel: env.CHAOS_LOG_LEVEL,
    keep: env.CHAOS_KEEP === '1',
    postgresAdminUrl: source.CHAOS_POSTGRES_URL ?? source.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisCluster: flags.includes('--redis-cluster'),
  };
}
