import os from 'node:os';
import { z } from 'zod';
import { redisClusterNodes } from './redis-target.ts';

// SPEC §2: every variable is validated once, at start. A bad value stops the process
// with a message naming the variable; everything else imports `env`.

const roles = z
  .string()
  .transform((raw) => raw.split(',').map((role) => role.trim()).filter(Boolean))
  .pipe(z.array(z.enum(['api', 'workers'])).min(1, 'name at least one of: api, workers'));

// SPEC §2: in production these must be real secrets: set, not a value this repository
// ships (a default, the test harness's, compose's), and at least MIN_SECRET_BYTES long.
const PRODUCTION_SECRETS = ['ADMIN_TOKEN', 'WALLET_SECRET', 'SECRETS_KEY'] as const;
const MIN_SECRET_BYTES = 32;
const ADMIN_PORT_OFFSET = 1000;

/**
 * Whether `value` is one of the public demo values: every default and compose fallback is
 * marked LOCAL-ONLY, and the test harness's fixed secrets start with `test-` (its other
 * demo strings with `demo-`). Anyone can read them in this repository.
 */
function isDemoValue(value: string): boolean {
  return /LOCAL-ONLY/i.test(value) || /^(demo|test)-/i.test(value);
}

const envObject = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/rgs'),
  // One Redis (REDIS_URL, default redis://127.0.0.1:6379) or a Redis Cluster
  // (REDIS_CLUSTER_NODES, `host:port,…`: some or all of its nodes), never both.
  REDIS_URL: z.url().optional(),
  REDIS_CLUSTER_NODES: redisClusterNodes.optional(),
  // BullMQ queues are split into this many partitions (a bet's jobs go to the one its id
  // picks), each in one hash slot of its own. Unset: 1 on one Redis, 6 on a cluster.
  QUEUE_PARTITIONS: z.coerce.number().int().min(1).max(64).optional(),
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
  // Issue #21: events, webhook deliveries and idempotency records are dropped a week-long
  // partition at a time once it ended this many days ago (never audit_log); see
  // src/modules/partitions/upkeep.ts. At least the stream retention (checked below).
  RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
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
  // SPEC §11: the key that encrypts wallet/webhook secrets and unrevealed server seeds at
  // rest (AES-256-GCM); previous keys still decrypt values not yet re-encrypted.
  SECRETS_KEY: z.string().min(1).default('demo-secrets-key-LOCAL-ONLY-0123456789'),
  SECRETS_KEYS_PREVIOUS: z.string().default(''),
  // SPEC §2: the admin API, Bull Board and /metrics listen here, never on PORT. Unset:
  // PORT + 1000 (0 when PORT is 0, so tests get a free port for both); see adminPortOf.
  ADMIN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  // SPEC §6/§7: wallet and webhook URLs may reach private/loopback/link-local addresses
  // only when this is true. Unset: true outside production, false in production.
  ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false']).optional(),
  // SPEC §2/§11: nodes connect as this application role (no ownership, append-only audit);
  // `npm run migrate` creates it. The password is required in production.
  APP_DB_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lowercase Postgres role name')
    .default('rgs_app'),
  APP_DB_PASSWORD: z.string().optional(),
  // SPEC §7/§11: SSE connection caps and per-client bounds.
  SSE_MAX_CLIENTS_PER_OPERATOR: z.coerce.number().int().min(1).max(1_000_000).default(100),
  SSE_MAX_CLIENTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  // 256 KiB past the kernel's socket buffer is seconds of events at a busy operator's rate,
  // and 2,000 clients all that far behind would hold at most 500 MiB (far less when they
  // are unfiltered: their backlogs are the same shared Buffers; see docs/operations.md).
  SSE_MAX_BACKLOG_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(256 * 1024),
  SSE_MAX_REPLAY: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  // SPEC §11: failed authentications per client address per second, cluster-wide.
  AUTH_FAILURES_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(20),
  // One operator's slow wallet or webhook receiver cannot starve the others: per node,
  // at most this many wallet calls / webhook first attempts of one operator in flight.
  WALLET_CALLS_PER_OPERATOR: z.coerce.number().int().min(1).max(65_536).default(64),
  WEBHOOK_FIRST_ATTEMPTS_PER_OPERATOR: z.coerce.number().int().min(1).max(65_536).default(256),
});

/**
 * The production rules of SPEC §2, checked beside the per-variable ones (`when`: even if
 * another variable is already bad) so that one start names every variable to fix.
 */
export const envSchema = envObject.superRefine(
  (env, ctx) => {
    const reported = new Set(ctx.issues.map((issue) => issue.path?.[0]));
    const refuse = (name: string, message: string) => {
      if (!reported.has(name)) ctx.addIssue({ code: 'custom', path: [name], message });
    };
    if (env.PORT !== undefined && env.ADMIN_PORT === undefined && env.PORT + ADMIN_PORT_OFFSET > 65_535) {
      refuse('ADMIN_PORT', `required when PORT + ${ADMIN_PORT_OFFSET} is not a port`);
    }
    if (env.REDIS_URL !== undefined && env.REDIS_CLUSTER_NODES !== undefined) {
      refuse('REDIS_CLUSTER_NODES', 'set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a cluster), not both');
    }
    // SPEC §7: what Postgres keeps of the event log is never less than the streams keep.
    if (env.RETENTION_DAYS * 86_400_000 < env.STREAM_RETENTION_MS) {
      refuse('RETENTION_DAYS', `must keep events at least as long as the streams do (STREAM_RETENTION_MS = ${env.STREAM_RETENTION_MS} ms, SPEC §7)`);
    }
    if (env.PORT && env.ADMIN_PORT === env.PORT) refuse('ADMIN_PORT', 'must differ from PORT: the admin surface never shares the public port');
    if (env.NODE_ENV !== 'production') return;
    for (const name of PRODUCTION_SECRETS) {
      const value = env[name] as string | undefined;
      if (value === undefined || value === envObject.shape[name].def.defaultValue) refuse(name, 'required in production (unset, or set to its public demo default)');
      else if (isDemoValue(value)) refuse(name, 'a public demo value; production needs a secret of its own');
      else if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) refuse(name, `at least ${MIN_SECRET_BYTES} bytes in production`);
    }
    if (!env.APP_DB_PASSWORD) refuse('APP_DB_PASSWORD', 'required in production (the application role logs in with it)');
  },
  { when: () => true },
);

export type Env = z.infer<typeof envSchema>;

/** SPEC §2: where the admin listener binds. Unset ADMIN_PORT: PORT + 1000, or 0 (the OS picks) when PORT is 0. */
export function adminPortOf(env: Pick<Env, 'PORT' | 'ADMIN_PORT'>): number {
  if (env.ADMIN_PORT !== undefined) return env.ADMIN_PORT;
  return env.PORT === 0 ? 0 : env.PORT + ADMIN_PORT_OFFSET;
}

/** A bad environment: `variables` names every variable to fix, the message says why, on one line. */
export class InvalidEnvironmentError extends Error {
  constructor(readonly variables: string[], reasons: string[]) {
    super(`invalid environment: ${reasons.join('; ')}`);
  }
}

/** Parses an environment; throws an InvalidEnvironmentError naming every bad variable. */
export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const variables = [...new Set(result.error.issues.map((issue) => issue.path.join('.')))];
  throw new InvalidEnvironmentError(
    variables,
    result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
  );
}

function loadEnv(): Env {
  try {
    return parseEnv(process.env);
  } catch (error) {
    // One JSON line, as the logger would write it (the logger itself needs a valid env).
    const { message, variables } = error as InvalidEnvironmentError;
    console.error(JSON.stringify({ level: 60, time: Date.now(), msg: message, variables }));
    process.exit(1);
  }
}

export const env: Env = loadEnv();
