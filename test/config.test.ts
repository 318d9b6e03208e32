import test from 'ava';
import { spawnSync } from 'node:child_process';
import { envSchema, parseEnv } from '../src/config/env.ts';
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
