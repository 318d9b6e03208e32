import type { EntityManager } from '@mikro-orm/postgresql';
import { OperatorLimitsEntity, type CurrencyLimits, type OperatorLimits } from './entity.ts';

// ── operator_limits ──────────────────────────────────────────────────────────

/** Whether the operator's limits list `jurisdiction` as blocked (one indexed read, nothing hydrated). */
export async function hasBlockedJurisdiction(em: EntityManager, operatorId: string, jurisdiction: string): Promise<boolean> {
  return (await em.count(OperatorLimitsEntity, { operator: operatorId, blockedJurisdictions: { $contains: [jurisdiction] } })) > 0;
}

/** The operator's limits, if it ever set any. */
export async function findLimits(em: EntityManager, operatorId: string): Promise<OperatorLimits | null> {
  return em.findOne(OperatorLimitsEntity, { operator: operatorId });
}

/** Inserts or replaces the operator's limits wholesale. */
export async function upsertLimits(
  em: EntityManager,
  operatorId: string,
  blockedJurisdictions: string[],
  currencies: Record<string, CurrencyLimits>,
): Promise<void> {
  await em.upsert(
    OperatorLimitsEntity,
    { operator: operatorId, blockedJurisdictions, currencies, updatedAt: new Date() },
    { onConflictFields: ['operator'], onConflictAction: 'merge' },
  );
}
