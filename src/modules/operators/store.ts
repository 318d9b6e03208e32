import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { OperatorEntity, type Operator } from './entity.ts';
import type { PatchOperatorInput } from './schemas.ts';

/** An operator's settings as stored: the secrets sealed already, the game settings as the columns keep them. */
export type OperatorSettings = Omit<PatchOperatorInput, 'games'> & { gamesEnabled?: string[] | null; gamesConfig?: Record<string, unknown> };

// ── operators ────────────────────────────────────────────────────────────────

/** The operator whose API key hashes to `apiKeyHash` (the authentication lookup: one indexed read). */
export async function findOperatorByKeyHash(em: EntityManager, apiKeyHash: string): Promise<Operator | null> {
  return em.findOne(OperatorEntity, { apiKeyHash });
}

export async function findOperatorById(em: EntityManager, id: string): Promise<Operator | null> {
  return em.findOne(OperatorEntity, { id });
}

/** Every operator's id. */
export async function selectOperatorIds(em: EntityManager): Promise<string[]> {
  return (await em.find(OperatorEntity, {}, { fields: ['id'] })).map((operator) => operator.id);
}

/** Every operator, oldest first. */
export async function selectOperators(em: EntityManager): Promise<Operator[]> {
  return em.find(OperatorEntity, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

/** Inserts an operator (version 1); a duplicate name fails with Postgres' unique violation (23505). */
export async function insertOperator(
  em: EntityManager,
  operator: { id: string; name: string; apiKeyHash: string } & Omit<OperatorSettings, 'name' | 'gamesEnabled' | 'gamesConfig'>,
): Promise<void> {
  await em.insert(OperatorEntity, {
    id: operator.id,
    name: operator.name,
    apiKeyHash: operator.apiKeyHash,
    walletUrl: operator.walletUrl ?? null,
    walletSecret: operator.walletSecret ?? null,
    webhookUrl: operator.webhookUrl ?? null,
    webhookSecret: operator.webhookSecret ?? null,
    rateLimitPerSecond: operator.rateLimitPerSecond ?? null,
  });
}

/**
 * Sets the settings given (an undefined one is left as it is, a null one cleared) on the
 * operator as it was read, only if its `version` is still `read.version`, and bumps it.
 * Answers the operator as it is now, or undefined when the row changed (or went) since it
 * was read. A duplicate name fails with Postgres' unique violation (23505).
 */
export async function updateOperatorSettings(em: EntityManager, read: Operator, settings: OperatorSettings): Promise<Operator | undefined> {
  const changes: Partial<Operator> = { version: read.version + 1, updatedAt: new Date() };
  for (const field of Object.keys(settings) as (keyof OperatorSettings)[]) {
    if (settings[field] !== undefined) Object.assign(changes, { [field]: settings[field] });
  }
  const updated = await em.nativeUpdate(OperatorEntity, { id: read.id, version: read.version }, changes);
  return updated === 1 ? { ...read, ...changes } : undefined;
}

/** Replaces the operator's API key hash (and bumps its version); false when there is no such operator. */
export async function updateOperatorKeyHash(em: EntityManager, id: string, apiKeyHash: string): Promise<boolean> {
  const updated = await em.nativeUpdate(OperatorEntity, { id }, { apiKeyHash, version: raw('version + 1'), updatedAt: new Date() });
  return updated !== 0;
}

/** Inserts the operator with this key hash, or resets an existing one's key hash to it. */
export async function upsertOperatorKeyHash(em: EntityManager, operator: { id: string; name: string; apiKeyHash: string }): Promise<void> {
  await em
    .createQueryBuilder(OperatorEntity)
    .insert({ id: operator.id, name: operator.name, apiKeyHash: operator.apiKeyHash })
    .onConflict('id')
    .merge({ apiKeyHash: operator.apiKeyHash, version: raw('operators.version + 1'), updatedAt: new Date() })
    .execute();
}
