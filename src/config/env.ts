import os from 'node:os';
import { z } from 'zod';

// SPEC §2: every variable is validated once, at start. A bad value stops the process
// with a message naming the variable; everything else imports `env`.

const roles = z
  .string()
  .transform((raw) => raw.split(',').map((role) => role.trim()).filter(Boolean))
  .pipe(z.array(z.enum(['api', 'workers'])).min(1, 'name at least one of: api, workers'));

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/rgs'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  // 0 asks the OS for a free port (used by the test launcher, which reads it from the log).
  PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  NODE_ID: z.string().min(1).max(100).default(`${os.hostname()}-${process.pid}`),
  RGS_ROLES: roles.default(['api', 'workers']),
  WALLET_URL: z.url().default('http://127.0.0.1:4000'),
  WALLET_SECRET: z.string().min(16, 'at least 16 characters').default('demo-wallet-secret-LOCAL-ONLY'),
  ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').default('demo-admin-token-LOCAL-ONLY'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]*$/, 'letters, digits, ":", "_" and "-" only')
    .default('rgs:'),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(4 * 3600),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  // Compose runs a one-time migrate job and sets this to false on the replicas.
  MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  WALLET_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  // SPEC §4 retry bounds: a debit gets this many attempts before it is rolled back;
  // credits and rollbacks back off exponentially from BET_RETRY_BASE_MS up to
  // BET_RETRY_MAX_MS, and a rollback that still fails after BET_PARK_AFTER_MS is parked.
  BET_DEBIT_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  BET_RETRY_BASE_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  BET_RETRY_MAX_MS: z.coerce.number().int().min(100).max(3_600_000).default(300_000),
  BET_PARK_AFTER_MS: z.coerce.number().int().min(1_000).max(7 * 24 * 3_600_000).default(6 * 3_600_000),
  // POST /bets answers 201 once the money is decided, or 202 + Location after this long.
  BET_RESPONSE_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(3_000),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(200).max(600_000).default(5_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(32),
  // SPEC §7 events. Streams keep at least STREAM_MAX_LEN events or STREAM_RETENTION_MS,
  // whichever is more; a recovery pass relays committed events no node relayed yet.
  STREAM_MAX_LEN: z.coerce.number().int().min(10).max(10_000_000).default(100_000),
  STREAM_RETENTION_MS: z.coerce.number().int().min(1_000).max(30 * 24 * 3_600_000).default(24 * 3_600_000),
  RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  SSE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(15_000).default(15_000),
  SSE_RETRY_MS: z.coerce.number().int().min(100).max(5_000).default(3_000),
  SSE_CLIENT_BUFFER: z.coerce.number().int().min(10).max(100_000).default(1_000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(1_000),
  WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(100).max(24 * 3_600_000).default(600_000),
  WEBHOOK_FIRST_ATTEMPTS_IN_FLIGHT: z.coerce.number().int().min(1).max(65_536).default(4_096),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(60_000).default(12_000),
  // SPEC §3: requests per second per operator key, cluster-wide; an operator's own
  // `rateLimitPerSecond` (admin API) overrides it.
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
});

export type Env = z.infer<typeof envSchema>;

/** Parses an environment; throws an Error whose message names every bad variable. */
export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid environment:\n${lines.join('\n')}`);
}

function loadEnv(): Env {
  try {
    return parseEnv(process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

export const env: Env = loadEnv();
