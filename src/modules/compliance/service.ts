import { withTransaction, type Db, type Queryable } from '../../shared/db.ts';
import { appendAudit } from '../audit/service.ts';
import type { CurrencyLimits } from './entity.ts';
import type { LimitsInput } from './schemas.ts';
import { findLimitsRow, hasBlockedJurisdiction, upsertLimitsRow } from './store.ts';

/** SPEC §8: an operator's limits as `GET /limits` and `PUT /limits` return them. */
export interface Limits {
  blockedJurisdictions: string[];
  currencies: Record<string, CurrencyLimits>;
}

/** SPEC §8: is this jurisdiction on the operator's blocked list? Read fresh: limits apply from the next request. */
export async function isJurisdictionBlocked(db: Queryable, operatorId: string, jurisdiction: string): Promise<boolean> {
  return hasBlockedJurisdiction(db, operatorId, jurisdiction);
}

/**
 * The operator's limits, read fresh (never cached): a PUT is in force on every node from
 * the next request (SPEC §3). An operator that never set any has none.
 */
export async function getLimits(db: Queryable, operatorId: string): Promise<Limits> {
  const row = await findLimitsRow(db, operatorId);
  return { blockedJurisdictions: row?.blocked_jurisdictions ?? [], currencies: row?.currencies ?? {} };
}

/** `PUT /limits`: replaces the limits wholesale (an omitted field is no limit) and audits the new ones. */
export async function replaceLimits(db: Db, operatorId: string, input: LimitsInput): Promise<Limits> {
  const limits: Limits = { blockedJurisdictions: input.blockedJurisdictions ?? [], currencies: input.currencies ?? {} };
  return withTransaction(db, async (client) => {
    await upsertLimitsRow(client, operatorId, limits.blockedJurisdictions, limits.currencies);
    await appendAudit(client, [{ operatorId, actor: 'operator', action: 'limits.updated', data: { ...limits } }]);
    return getLimits(client, operatorId);
  });
}
