import type { Queryable } from '../../shared/db.ts';

/** SPEC §8: is this jurisdiction on the operator's blocked list? Read fresh: limits apply from the next request. */
export async function isJurisdictionBlocked(db: Queryable, operatorId: string, jurisdiction: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'SELECT 1 FROM operator_limits WHERE operator_id = $1 AND $2 = ANY(blocked_jurisdictions)',
    [operatorId, jurisdiction],
  );
  return rowCount === 1;
}
