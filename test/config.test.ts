import test from 'ava';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { adminPortOf, envSchema, InvalidEnvironmentError, parseEnv } from '../src/config/env.ts';
import { queuePartitionsOf, redisTargetOf } from '../src/config/redis-target.ts';
import * as harness from './support/cluster.ts';
import { PROJECT_ROOT } from './support/process.ts';

test('defaults give a complete configuration', (t) => {
  const env = parseEnv({});
  t.deepEqual(env.RGS_ROLES, ['api', 'workers']);
  t.is(env.REDIS_PREFIX, 'rgs:');
  t.is(env.BODY_LIMIT_BYTES, 64 * 1024);
});

test('RGS_ROLES takes one role or both', (t) => {
  t.deepEqual(parseEnv({ RGS_ROLES: 'workers' }).RGS_ROLES, ['workers']);
  t.deepEqual(parseEnv({ RGS_ROLES: 'api, workers' }).RGS_ROLES, ['api', 'workers']);
  t.throws(() => parseEnv({ RGS_ROLES: 'cook' }), { message: /RGS_ROLES/ });
  t.throws(() => parseEnv({ RGS_ROLES: '' }), { message: /RGS_ROLES/ });
});

test('Redis is REDIS_URL (default 127.0.0.1:6379) or REDIS_CLUSTER_NODES, never both; the queue partitions follow', (t) => {
  t.deepEqual(redisTargetOf(parseEnv({})), { url: 'redis://127.0.0.1:6379' });
  t.is(queuePartitionsOf(parseEnv({})), 1);
  const clustered = parseEnv({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001' });
  t.deepEqual(redisTargetOf(clustered), { clusterNodes: [{ host: '10.0.0.1', port: 7000 }, { host: 'redis-b', port: 7001 }] });
  t.is(queuePartitionsOf(clustered), 6);
  t.is(queuePartitionsOf(parseEnv({ REDIS_CLUSTER_NODES: 'a:1', QUEUE_PARTITIONS: '12' })), 12);
  t.throws(() => parseEnv({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'a:7000' }), { message: /REDIS_CLUSTER_NODES: set REDIS_URL .* or REDIS_CLUSTER_NODES .*, not both/ });
  t.throws(() => parseEnv({ REDIS_CLUSTER_NODES: 'no-port' }), { message: /REDIS_CLUSTER_NODES/ });
  t.throws(() => parseEnv({ REDIS_CLUSTER_NODES: ' , ' }), { message: /REDIS_CLUSTER_NODES/ });
});

test('RETENTION_DAYS defaults to 30 and is refused below the stream retention (SPEC §7)', (t) => {
  t.is(parseEnv({}).RETENTION_DAYS, 30);
  t.is(parseEnv({ RETENTION_DAYS: '2', STREAM_RETENTION_MS: String(2 * 86_400_000) }).RETENTION_DAYS, 2);
  const error = t.throws(() => parseEnv({ RETENTION_DAYS: '1', STREAM_RETENTION_MS: String(2 * 86_400_000) }), { instanceOf: InvalidEnvironmentError });
  t.deepEqual(error?.variables, ['RETENTION_DAYS']);
  t.regex(error?.message ?? '', /RETENTION_DAYS: must keep events at least as long as the streams do \(STREAM_RETENTION_MS = 172800000 ms/);
  t.throws(() => parseEnv({ RETENTION_DAYS: '0' }), { message: /RETENTION_DAYS/ });
  t.throws(() => parseEnv({ RETENTION_DAYS: 'a month' }), { message: /RETENTION_DAYS/ });
});

test('every bad value is named in the error', (t) => {
  const error = t.throws(() =>
    parseEnv({ PORT: 'eighty', DATABASE_URL: 'not a url', LOG_LEVEL: 'loud', ADMIN_TOKEN: 'short', REDIS_PREFIX: 'has space' }),
  );
  for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'ADMIN_TOKEN', 'REDIS_PREFIX']) t.regex(error.message, new RegExp(name));
});

test('a node started with a bad value exits 1 with a message naming the variable', (t) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: '99999', MIGRATE_ON_START: 'false' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.is(result.status, 1);
  t.regex(result.stderr, /PORT/);
});

test('the admin listener defaults to PORT + 1000 (0 when PORT is 0) and never shares the public port', (t) => {
  t.is(adminPortOf(parseEnv({})), 4001);
  t.is(adminPortOf(parseEnv({ PORT: '0' })), 0);
  t.is(adminPortOf(parseEnv({ PORT: '3000', ADMIN_PORT: '9100' })), 9100);
  t.is(parseEnv({}).ADMIN_HOST, '127.0.0.1');
  t.deepEqual(refused({ PORT: '3000', ADMIN_PORT: '3000' }), ['ADMIN_PORT']);
  t.deepEqual(refused({ PORT: '65000' }), ['ADMIN_PORT'], 'PORT + 1000 is no port: ADMIN_PORT must be set');
  t.deepEqual(refused({ PORT: '65000', ADMIN_PORT: '9100' }), []);
});

// SPEC §2: production refuses to start with secrets anyone can know.
const PRODUCTION_SECRETS = ['ADMIN_TOKEN', 'WALLET_SECRET', 'SECRETS_KEY'] as const;
const realSecret = () => randomBytes(32).toString('hex');
const production = (overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  NODE_ENV: 'production',
  ADMIN_TOKEN: realSecret(),
  WALLET_SECRET: realSecret(),
  SECRETS_KEY: realSecret(),
  APP_DB_PASSWORD: realSecret(),
  ...overrides,
});

/** The variables an InvalidEnvironmentError names, or [] when the environment parses. */
function refused(source: NodeJS.ProcessEnv): string[] {
  try {
    parseEnv(source);
    return [];
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) return error.variables;
    throw error;
  }
}

test('in production, real secrets of at least 32 bytes and an application-role password are accepted', (t) => {
  const env = parseEnv(production());
  t.is(env.NODE_ENV, 'production');
  t.is(Buffer.byteLength(env.ADMIN_TOKEN), 64);
});

test('in production, a missing, demo or short ADMIN_TOKEN, WALLET_SECRET or SECRETS_KEY is refused, every one named at once', (t) => {
  for (const name of PRODUCTION_SECRETS) {
    t.deepEqual(refused(production({ [name]: undefined })), [name], `${name} missing`);
    t.deepEqual(refused(production({ [name]: 'x'.repeat(31) })), [name], `${name} of 31 bytes`);
    t.deepEqual(refused(production({ [name]: `my-own-LOCAL-ONLY-${realSecret()}` })), [name], `${name} marked LOCAL-ONLY`);
    t.deepEqual(refused(production({ [name]: `demo-${realSecret()}` })), [name], `${name} a demo value`);
    // Bytes, not characters: 16 two-byte characters are 32 bytes.
    t.deepEqual(refused(production({ [name]: 'é'.repeat(16) })), [], `${name} of 32 bytes`);
  }
  const error = t.throws(() =>
    parseEnv({ NODE_ENV: 'production', ADMIN_TOKEN: 'short-admin-token', WALLET_SECRET: harness.TEST_WALLET_SECRET, PORT: 'eighty' }),
  );
  for (const name of [...PRODUCTION_SECRETS, 'APP_DB_PASSWORD', 'PORT']) t.regex(error.message, new RegExp(`${name}: `), name);
  t.notRegex(error.message, /\n/, 'one line');
});

test('in production, the application-role password is required', (t) => {
  t.deepEqual(refused(production({ APP_DB_PASSWORD: undefined })), ['APP_DB_PASSWORD']);
  t.deepEqual(refused(production({ APP_DB_PASSWORD: '' })), ['APP_DB_PASSWORD']);
  t.deepEqual(refused({ NODE_ENV: 'development' }), [], 'outside production the demo defaults run');
});

test('every fixed secret of the test harness and every compose fallback counts as a demo value in production', (t) => {
  const harnessValues = Object.entries(harness).filter(([name, value]) => name.startsWith('TEST_') && typeof value === 'string');
  t.true(harnessValues.length >= 2);
  const compose = readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
  const composeFallbacks = [...compose.matchAll(/\$\{(?:ADMIN_TOKEN|WALLET_SECRET|SECRETS_KEY)(?::?-)([^}]*)\}/g)].map((match) => [match[0], match[1]!]);
  t.true(composeFallbacks.length >= 2);
  for (const [where, value] of [...harnessValues, ...composeFallbacks] as [string, string][]) {
    for (const name of PRODUCTION_SECRETS) t.deepEqual(refused(production({ [name]: value })), [name], `${where} as ${name}`);
  }
});

test('a production node with demo, short or missing secrets exits 1 with one log line naming every one of them', (t) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--import', './src/telemetry/register.ts', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      ADMIN_TOKEN: 'demo-admin-token-LOCAL-ONLY',
      WALLET_SECRET: 'a-wallet-secret-of-31-bytes-xyz',
      SECRETS_KEY: '',
      APP_DB_PASSWORD: realSecret(),
      MIGRATE_ON_START: 'false',
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.is(result.status, 1);
  const lines = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.includes('invalid environment'));
  t.is(lines.length, 1, result.stderr);
  const line = JSON.parse(lines[0]!) as { level: number; msg: string; variables: string[] };
  t.deepEqual(line.variables.sort(), ['ADMIN_TOKEN', 'SECRETS_KEY', 'WALLET_SECRET']);
  for (const name of PRODUCTION_SECRETS) t.regex(line.msg, new RegExp(name));
});

test('the schema covers every SPEC §2 variable', (t) => {
  const names = Object.keys(envSchema.shape);
  for (const name of [
    'DATABASE_URL',
    'REDIS_URL',
    'PORT',
    'NODE_ID',
    'RGS_ROLES',
    'WALLET_URL',
    'WALLET_SECRET',
    'ADMIN_TOKEN',
    'LOG_LEVEL',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'REDIS_PREFIX',
  ]) {
    t.true(names.includes(name), name);
  }
});
