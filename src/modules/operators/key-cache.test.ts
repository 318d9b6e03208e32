import { randomBytes } from 'node:crypto';
import test from 'ava';
import type { Redis } from 'ioredis';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Operator } from './entity.ts';
import { hashApiKey } from './api-keys.ts';
import { createOperatorCache } from './key-cache.ts';
import { createOperatorsService, type OperatorContext } from './service.ts';
import { createSecretsKeyring } from '../../shared/secrets-keyring.ts';

// SPEC §11, "unknown keys cost little": unknown keys are remembered apart from known
// operators, in a bounded map of their own, so a client spraying made-up keys can never
// push a real operator's key out of the cache and send its traffic to the database.

const operator = (id: string): OperatorContext => ({
  id,
  name: id,
  walletUrl: null,
  walletSecret: null,
  webhookUrl: null,
  webhookSecret: null,
  rateLimitPerSecond: null,
  games: new Map(),
});

test('a spray of unknown keys, many times the bound, leaves known operators cached and keeps the newest unknown keys', (t) => {
  let now = 0;
  const cache = createOperatorCache({ ttlMs: 2_000, maxUnknownKeys: 1_000, now: () => now });
  cache.rememberOperator('key:good', operator('good'));
  cache.rememberOperator('id:good', operator('good'));
  for (let i = 0; i < 50_000; i++) cache.rememberUnknownKey(`sprayed-${i}`);
  t.is(cache.operator('key:good')?.id, 'good');
  t.is(cache.operator('id:good')?.id, 'good');
  t.true(cache.isUnknownKey('sprayed-49999'));
  t.true(cache.isUnknownKey('sprayed-49000'));
  t.false(cache.isUnknownKey('sprayed-48999'), 'past the bound the oldest unknown key is forgotten first');

  now += 2_001;
  t.is(cache.operator('key:good'), undefined, 'entries last ttlMs: a missed change announcement is bounded');
  t.false(cache.isUnknownKey('sprayed-49999'));
});

test('clear() forgets both known operators and unknown keys (a key was created, changed or rotated)', (t) => {
  const cache = createOperatorCache({ ttlMs: 2_000, maxUnknownKeys: 10 });
  cache.rememberOperator('key:good', operator('good'));
  cache.rememberUnknownKey('unknown');
  cache.clear();
  t.is(cache.operator('key:good'), undefined);
  t.false(cache.isUnknownKey('unknown'));
});

/** An operators service over a stand-in EntityManager that counts the key lookups of each key hash. */
function serviceWithCountingDb(goodKey: string) {
  const lookups = new Map<string, number>();
  const good: Operator = {
    id: 'op-good',
    name: 'good',
    apiKeyHash: hashApiKey(goodKey),
    walletUrl: null,
    walletSecret: null,
    webhookUrl: null,
    webhookSecret: null,
    rateLimitPerSecond: null,
    gamesEnabled: null,
    gamesConfig: {},
    version: 1,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  const em = {
    async findOne(_entity: unknown, where: { apiKeyHash?: string }) {
      if (where.apiKeyHash === undefined) throw new Error(`unexpected lookup: ${JSON.stringify(where)}`);
      lookups.set(where.apiKeyHash, (lookups.get(where.apiKeyHash) ?? 0) + 1);
      return where.apiKeyHash === good.apiKeyHash ? good : null;
    },
  };
  const orm = { em: { fork: () => em } } as unknown as MikroORM;
  const subscriber = { subscribe: async () => undefined, on: () => subscriber, off: () => subscriber } as unknown as Redis;
  const service = createOperatorsService({
    orm,
    redis: {} as Redis,
    subscriber,
    redisPrefix: 'test:',
    defaultWallet: { url: 'http://127.0.0.1:9', secret: 'unused-in-this-test' },
    keyring: createSecretsKeyring('unused-in-this-test-0123456789abcdef'),
    targets: { allowPrivateTargets: true, requireHttps: false },
    // Time stands still: however slow the machine, no entry expires during the spray.
    now: () => 0,
  });
  return { service, lookupsOf: (key: string) => lookups.get(hashApiKey(key)) ?? 0 };
}

test('the operators service: 20,000 made-up keys do not send a known key back to the database, and a repeated unknown key is looked up once', async (t) => {
  const goodKey = `rgs_${randomBytes(32).toString('base64url')}`;
  const { service, lookupsOf } = serviceWithCountingDb(goodKey);
  t.is((await service.authenticate(goodKey))?.id, 'op-good');
  t.is(lookupsOf(goodKey), 1);

  for (let i = 0; i < 20_000; i++) t.is(await service.authenticate(`rgs_sprayed_${i}`), undefined);
  t.is((await service.authenticate(goodKey))?.id, 'op-good');
  t.is(service.authenticateCached(goodKey)?.id, 'op-good');
  t.is(lookupsOf(goodKey), 1, 'the known key is still served from the cache');

  const repeated = `rgs_${randomBytes(32).toString('base64url')}`;
  for (let i = 0; i < 5; i++) t.is(await service.authenticate(repeated), undefined);
  t.is(lookupsOf(repeated), 1);
  t.is(service.authenticateCached(repeated), undefined, 'an unknown key is never a cached operator');
});
