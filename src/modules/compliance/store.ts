import type { Queryable } from '../../shared/db.ts';
import type { CurrencyLimits } from './entity.ts';

export interface LimitsRow {
  blocked_jurisdictions: string[];
  currencies: Record<string, CurrencyLimits>;
}

// ── operator_limits ──────────────────────────────────────────────────────────

/** Whether the operator's operator_limits row lists `jurisdiction` as blocked. */
export async function hasBlockedJurisdiction(db: Queryable, operatorId: string, jurisdiction: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'SELECT 1 FROM operator_limits WHERE operator_id = $1 AND $2 = ANY(blocked_jurisdictions)',
    [operatorId, jurisdiction],
  );
  return rowCount === 1;
}

/** The operator's operator_limits row, if it ever set limits. */
export async function findLimitsRow(db: Queryable, operatorId: string): Promise<LimitsRow | undefined> {
  const { rows } = await db.query<LimitsRow>(
    'SELECT blocked_jurisdictions, currencies FROM operator_limits WHERE operator_id = $1',
    [operatorId],
  );
  return rows[0];
}

/** Inserts or replaces the operator's operator_limits row wholesale. */
export async function upsertLimitsRow(
  db: Queryable,
  operatorId: string,
  blockedJurisdictions: string[],
  currencies: Record<string, CurrencyLimits>,
): Promise<void> {
  await db.query(
    `INSERT INTO operator_limits (operator_id, blocked_jurisdictions, currencies, updated_at)
     VALUES ($1, $2, $3, now())
     ON CONFLICT (operator_id) DO UPDATE
       SET blocked_jurisdictions = EXCLUDED.blocked_jurisdictions, currencies = EXCLUDED.currencies, updated_at = now()`,
    [operatorId, blockedJurisdictions, JSON.stringify(currencies)],
  );
}
