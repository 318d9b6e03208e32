import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction, sqlOf } from '../../shared/em-transaction.ts';
import { appendAudit } from '../audit/service.ts';
import type { CurrencyLimits } from './entity.ts';
import type { LimitsInput } from './schemas.ts';
import { findLimits, hasBlockedJurisdiction, upsertLimits } from './store.ts';

/** SPEC §8: an operator's limits as `GET /limits` and `PUT /limits` return them. */
export interface Limits {
  blockedJurisdictions: string[];
  currencies: Record<string, CurrencyLimits>;
}

/** SPEC §8: is this jurisdiction on the operator's blocked list? Read fresh: limits apply from the next request. */
export async function isJurisdictionBlocked(em: EntityManager, operatorId: string, jurisdiction: string): Promise<boolean> {
  return hasBlockedJurisdiction(em, operatorId, jurisdiction);
}

/**
 * The operator's limits, read fresh (never cached): a PUT is in force on every node from
 * the next request (SPEC §3). An operator that never set any has none.
 */
export async function getLimits(em: EntityManager, operatorId: string): Promise<Limits> {
  const limits = await findLimits(em, operatorId);
  return { blockedJurisdictions: limits?.blockedJurisdictions ?? [], currencies: limits?.currencies ?? {} };
}

/** `PUT /limits`: replaces the limits wholesale (an omitted field is no limit) and audits the new ones. */
export async function replaceLimits(em: EntityManager, operatorId: string, input: LimitsInput): Promise<Limits> {
  const limits: Limits = { blockedJurisdictions: input.blockedJurisdictions ?? [], currencies: input.currencies ?? {} };
  return inTransaction(em, async (tx) => {
    await upsertLimits(tx, operatorId, limits.blockedJurisdictions, limits.currencies);
    await appendAudit(await sqlOf(tx), [{ operatorId, actor: 'operator', action: 'limits.updated', data: { ...limits } }]);
    // Read back as stored (jsonb orders an object's keys its own way), past the identity
    // map the upsert filled: a fresh fork in the same transaction.
    return getLimits(tx.fork({ keepTransactionContext: true }), operatorId);
  });
}
