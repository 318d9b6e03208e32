import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../shared/redis.ts';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { inTransaction, sqlOf } from '../../shared/em-transaction.ts';
import { channelName } from '../../shared/redis.ts';
import { conflict, notFound, ValidationError, type FieldProblem } from '../../shared/errors.ts';
import { outboundUrlProblem, type OutboundTargetPolicy } from '../../shared/outbound-target.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { appendAudit } from '../audit/service.ts';
import { operatorKeyLookupsTotal } from '../../shared/metrics.ts';
import { generateApiKey, hashApiKey } from './api-keys.ts';
import { openOperatorSecret, sealOperatorSecret } from './sealed-secrets.ts';
import { createOperatorCache } from './key-cache.ts';
import type { CreateOperatorInput, PatchOperatorInput } from './schemas.ts';
import { walletPairingProblems } from './wallet-pairing.ts';
import type { Operator } from './entity.ts';
import { applyGameSettings, gameSettingsView, gamesInForce } from '../../games/settings.ts';
import {
  findOperatorById,
  findOperatorByKeyHash,
  insertOperator,
  selectOperatorIds,
  selectOperators,
  updateOperatorKeyHash,
  updateOperatorSettings,
} from './store.ts';

/** What a request knows about its authenticated operator. Secrets stay server-side. */
export interface OperatorContext {
  id: string;
  name: string;
  walletUrl: string | null;
  walletSecret: string | null;
  webhookUrl: string | null;
  webhookSecret: string | null;
  rateLimitPerSecond: number | null;
  /** The games it offers, each with its config in force (issue #20): what a bet is placed under. */
  games: ReadonlyMap<string, unknown>;
}

/** The admin view of an operator: whether secrets are set, never their values (SPEC §11). */
export interface OperatorView {
  id: string;
  name: string;
  walletUrl: string | null;
  walletSecretSet: boolean;
  webhookUrl: string | null;
  webhookSecretSet: boolean;
  rateLimitPerSecond: number | null;
  games: { enabled: string[]; config: Record<string, unknown> };
  createdAt: string;
  updatedAt: string;
}

const KEYS_CHANGED_CHANNEL = 'operators:changed';
const CACHE_TTL_MS = 2_000;
const MAX_UNKNOWN_KEYS = 10_000;

function toContext(operator: Operator, keyring: SecretsKeyring): OperatorContext {
  return {
    id: operator.id,
    name: operator.name,
    walletUrl: operator.walletUrl,
    walletSecret: openOperatorSecret(keyring, operator.id, 'wallet_secret', operator.walletSecret),
    webhookUrl: operator.webhookUrl,
    webhookSecret: openOperatorSecret(keyring, operator.id, 'webhook_secret', operator.webhookSecret),
    rateLimitPerSecond: operator.rateLimitPerSecond,
    games: gamesInForce(storedGames(operator)),
  };
}

const storedGames = (operator: Operator) => ({ enabled: operator.gamesEnabled, config: operator.gamesConfig });

function toView(operator: Operator): OperatorView {
  return {
    id: operator.id,
    name: operator.name,
    walletUrl: operator.walletUrl,
    walletSecretSet: operator.walletSecret !== null,
    webhookUrl: operator.webhookUrl,
    webhookSecretSet: operator.webhookSecret !== null,
    rateLimitPerSecond: operator.rateLimitPerSecond,
    games: gameSettingsView(storedGames(operator)),
    createdAt: operator.createdAt.toISOString(),
    updatedAt: operator.updatedAt.toISOString(),
  };
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export interface OperatorsService {
  authenticate(apiKey: string): Promise<OperatorContext | undefined>;
  /**
   * The operator's own wallet and secret, or, for an operator without a wallet URL, the
   * node's default (WALLET_URL/WALLET_SECRET). Never the default secret for its own wallet.
   */
  walletEndpoint(operatorId: string): Promise<{ operatorId: string; url: string; secret: string | null }>;
  /** The key's operator if this node has it cached, without asking the database. */
  authenticateCached(apiKey: string): OperatorContext | undefined;
  /** The operator's current webhook URL and secret (SPEC §7), or null when it set no URL. */
  webhookEndpoint(operatorId: string): Promise<{ url: string; secret: string | null } | null>;
  create(em: EntityManager, input: CreateOperatorInput): Promise<{ id: string; name: string; apiKey: string }>;
  /**
   * Applies a PATCH under the operator's `version`: judged on the row as read, written only
   * if nobody changed it since; otherwise judged again on a fresh read, once, and then 409
   * `OPERATOR_CHANGED`.
   */
  update(em: EntityManager, id: string, input: PatchOperatorInput): Promise<OperatorView>;
  rotateKey(em: EntityManager, id: string): Promise<{ apiKey: string }>;
  get(em: EntityManager, id: string): Promise<OperatorView>;
  list(em: EntityManager): Promise<OperatorView[]>;
  close(): Promise<void>;
}

/**
 * Operators and their keys. Lookups by key are cached for a moment per node; any change
 * is published on Redis so every node drops its cache at once (a rotated key stops
 * working everywhere), and a node whose subscription reconnects drops it too.
 */
export function createOperatorsService(deps: {
  /** The process's MikroORM: a key or id missing from the cache is read on a fork of its own. */
  orm: MikroORM;
  redis: RedisClient;
  subscriber: RedisClient;
  redisPrefix: string;
  defaultWallet: { url: string; secret: string };
  /** Seals the wallet and webhook secrets at rest (SPEC §11). */
  keyring: SecretsKeyring;
  /** Which wallet and webhook URLs an admin may set (SPEC §6/§7). */
  targets: OutboundTargetPolicy;
  /** The cache's clock (tests hold it still). */
  now?: () => number;
}): OperatorsService {
  const { orm, redis, subscriber, keyring } = deps;
  const channel = channelName(deps.redisPrefix, KEYS_CHANGED_CHANNEL);
  // Keyed by `key:<hash>` and `id:<uuid>`; one clear() drops both views and the unknown keys.
  const cache = createOperatorCache({ ttlMs: CACHE_TTL_MS, maxUnknownKeys: MAX_UNKNOWN_KEYS, now: deps.now });

  // Lookups of one key in flight, shared: when an entry expires under load, the requests
  // that miss it meanwhile wait for one read instead of each reading the row (measured at
  // 100 bets/s on a busy machine: 0.2 operator reads per bet, where one per key and TTL
  // suffices). `generation` moves on with every clear(): a read that started before a
  // change is answered to its callers but not cached.
  const loading = new Map<string, Promise<OperatorContext | undefined>>();
  let generation = 0;

  function cached(cacheKey: string, load: () => Promise<Operator | null>): Promise<OperatorContext | undefined> {
    const hit = cache.operator(cacheKey);
    if (hit) return Promise.resolve(hit);
    const pending = loading.get(cacheKey);
    if (pending) return pending;
    const started = generation;
    const loaded = (async () => {
      const row = await load();
      if (!row) return undefined;
      const operator = toContext(row, keyring);
      if (generation === started) cache.rememberOperator(cacheKey, operator);
      return operator;
    })();
    loading.set(cacheKey, loaded);
    const settled = () => {
      if (loading.get(cacheKey) === loaded) loading.delete(cacheKey);
    };
    void loaded.then(settled, settled);
    return loaded;
  }

  function dropCache(): void {
    generation += 1;
    loading.clear();
    cache.clear();
  }

  void subscriber.subscribe(channel).catch(() => undefined);
  const onMessage = (received: string) => {
    if (received === channel) dropCache();
  };
  const onReady = () => dropCache();
  subscriber.on('message', onMessage);
  subscriber.on('ready', onReady);

  async function announceChange(): Promise<void> {
    dropCache();
    await redis.publish(channel, 'changed');
  }

  async function authenticate(apiKey: string): Promise<OperatorContext | undefined> {
    const hash = hashApiKey(apiKey);
    if (cache.isUnknownKey(hash)) return undefined;
    const operator = await cached(`key:${hash}`, async () => {
      const row = await findOperatorByKeyHash(orm.em.fork(), hash);
      operatorKeyLookupsTotal.inc({ result: row ? 'found' : 'unknown' });
      return row;
    });
    if (!operator) cache.rememberUnknownKey(hash);
    return operator;
  }

  const authenticateCached = (apiKey: string) => cache.operator(`key:${hashApiKey(apiKey)}`);

  const byId = (operatorId: string) => cached(`id:${operatorId}`, () => findOperatorById(orm.em.fork(), operatorId));

  async function walletEndpoint(operatorId: string) {
    const operator = await byId(operatorId);
    if (operator?.walletUrl) return { operatorId, url: operator.walletUrl, secret: operator.walletSecret };
    return { operatorId, ...deps.defaultWallet };
  }

  async function webhookEndpoint(operatorId: string) {
    const operator = await byId(operatorId);
    return operator?.webhookUrl ? { url: operator.webhookUrl, secret: operator.webhookSecret } : null;
  }

  /** 400 naming each URL that points where the RGS may not call (SPEC §6/§7: SSRF). */
  async function checkTargets(input: PatchOperatorInput): Promise<void> {
    const problems: FieldProblem[] = [];
    for (const [field, kind] of [
      ['walletUrl', 'wallet'],
      ['webhookUrl', 'webhook'],
    ] as const) {
      const url = input[field];
      const problem = url ? await outboundUrlProblem(url, kind, deps.targets) : undefined;
      if (problem) problems.push({ path: `body.${field}`, message: problem });
    }
    if (problems.length > 0) throw new ValidationError(problems);
  }

  const sealed = (operatorId: string, which: 'wallet_secret' | 'webhook_secret', secret: string | null | undefined) =>
    secret ? sealOperatorSecret(keyring, operatorId, which, secret) : secret;

  async function create(em: EntityManager, input: CreateOperatorInput) {
    const pairing = walletPairingProblems({ walletUrl: input.walletUrl !== undefined, walletSecret: input.walletSecret !== undefined });
    if (pairing.length > 0) throw new ValidationError(pairing);
    await checkTargets(input);
    const id = randomUUID();
    const apiKey = generateApiKey();
    try {
      await inTransaction(em, async (tx) => {
        await insertOperator(tx, {
          id,
          name: input.name,
          apiKeyHash: hashApiKey(apiKey),
          walletUrl: input.walletUrl,
          walletSecret: sealed(id, 'wallet_secret', input.walletSecret),
          webhookUrl: input.webhookUrl,
          webhookSecret: sealed(id, 'webhook_secret', input.webhookSecret),
          rateLimitPerSecond: input.rateLimitPerSecond,
        });
        await appendAudit(await sqlOf(tx), [
          { operatorId: id, actor: 'admin', action: 'admin.operator_created', data: { name: input.name, ...describeSettings(input) } },
        ]);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('OPERATOR_EXISTS', `an operator named "${input.name}" exists`);
      throw error;
    }
    await announceChange();
    return { id, name: input.name, apiKey };
  }

  /**
   * One attempt at a PATCH: the operator read, its wallet settings judged as they will be
   * after the change (SPEC §6), and the change written only under the version read, with
   * its audit row. Undefined when another change got in first (nothing written).
   */
  function tryUpdate(em: EntityManager, id: string, input: PatchOperatorInput, values: PatchOperatorInput): Promise<Operator | undefined> {
    return inTransaction(em, async (tx) => {
      const current = await findOperatorById(tx, id);
      if (!current) throw notFound('operator');
      const pairing = walletPairingProblems({
        walletUrl: input.walletUrl === undefined ? current.walletUrl !== null : input.walletUrl !== null,
        walletSecret: input.walletSecret === undefined ? current.walletSecret !== null : input.walletSecret !== null,
      });
      if (pairing.length > 0) throw new ValidationError(pairing);
      // The game settings it does not name stay as the row has them now (judged again after a lost race too).
      const { games, ...settings } = values;
      const gameSettings = games && applyGameSettings(storedGames(current), games);
      const updated = await updateOperatorSettings(tx, current, {
        ...settings,
        ...(gameSettings && { gamesEnabled: gameSettings.enabled, gamesConfig: gameSettings.config }),
      });
      if (!updated) return undefined;
      await appendAudit(await sqlOf(tx), [{ operatorId: id, actor: 'admin', action: 'admin.operator_updated', data: describeSettings(input) }]);
      return updated;
    });
  }

  async function update(em: EntityManager, id: string, input: PatchOperatorInput): Promise<OperatorView> {
    await checkTargets(input);
    const values: PatchOperatorInput = {
      ...input,
      walletSecret: sealed(id, 'wallet_secret', input.walletSecret),
      webhookSecret: sealed(id, 'webhook_secret', input.webhookSecret),
    };
    try {
      // A change that lost the race is judged again on what the winner left: it may no
      // longer pair (SPEC §6), and it must not undo the winner's fields it did not name.
      const updated = (await tryUpdate(em, id, input, values)) ?? (await tryUpdate(em, id, input, values));
      if (!updated) throw conflict('OPERATOR_CHANGED', 'the operator was changed by other requests meanwhile; read it and try again');
      await announceChange();
      return toView(updated);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('OPERATOR_EXISTS', `an operator named "${input.name}" exists`);
      throw error;
    }
  }

  async function rotateKey(em: EntityManager, id: string) {
    const apiKey = generateApiKey();
    await inTransaction(em, async (tx) => {
      if (!(await updateOperatorKeyHash(tx, id, hashApiKey(apiKey)))) throw notFound('operator');
      await appendAudit(await sqlOf(tx), [{ operatorId: id, actor: 'admin', action: 'admin.key_rotated', data: {} }]);
    });
    await announceChange();
    return { apiKey };
  }

  async function get(em: EntityManager, id: string) {
    const operator = await findOperatorById(em, id);
    if (!operator) throw notFound('operator');
    return toView(operator);
  }

  async function list(em: EntityManager) {
    return (await selectOperators(em)).map(toView);
  }

  async function close() {
    subscriber.off('message', onMessage);
    subscriber.off('ready', onReady);
  }

  return { authenticate, authenticateCached, walletEndpoint, webhookEndpoint, create, update, rotateKey, get, list, close };
}

/** Which settings an admin change touched, for the audit trail: never the secret values. */
function describeSettings(input: PatchOperatorInput): Record<string, unknown> {
  return {
    ...(input.walletUrl !== undefined && { walletUrl: input.walletUrl }),
    ...(input.walletSecret !== undefined && { walletSecretChanged: true }),
    ...(input.webhookUrl !== undefined && { webhookUrl: input.webhookUrl }),
    ...(input.webhookSecret !== undefined && { webhookSecretChanged: true }),
    ...(input.rateLimitPerSecond !== undefined && { rateLimitPerSecond: input.rateLimitPerSecond }),
    ...(input.name !== undefined && { name: input.name }),
    ...(input.games !== undefined && { games: input.games }),
  };
}

/** Every operator's id (the event relay's rebase clears each one's stream position). */
export async function listOperatorIds(em: EntityManager): Promise<string[]> {
  return selectOperatorIds(em);
}
