import type { Queryable } from '../../shared/db.ts';
import { DomainError } from '../../shared/errors.ts';

export type IdempotencyClaim = { kind: 'new' } | { kind: 'replay'; status: number; body: Record<string, unknown> };

export const idempotencyKeyReused = () =>
  new DomainError(422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency key reused', 'this Idempotency-Key was used with a different body');

/**
 * Claims an idempotency key inside the caller's transaction (SPEC §3). The claim and
 * the stored answer commit together with the work, so there is no "in progress" state to
 * recover after a crash: a concurrent duplicate on any node blocks on the primary key
 * until the first transaction ends, then replays its answer (or proceeds if it rolled back).
 */
export async function claimIdempotencyKey(
  db: Queryable,
  claim: { operatorId: string; scope: string; key: string; requestHash: string },
): Promise<IdempotencyClaim> {
  const inserted = await db.query(
    `INSERT INTO idempotency_records (operator_id, scope, key, request_hash, response_status, response_body)
     VALUES ($1, $2, $3, $4, 0, '{}') ON CONFLICT DO NOTHING RETURNING 1`,
    [claim.operatorId, claim.scope, claim.key, claim.requestHash],
  );
  if (inserted.rowCount === 1) return { kind: 'new' };
  const { rows } = await db.query<{ request_hash: string; response_status: number; response_body: Record<string, unknown> }>(
    'SELECT request_hash, response_status, response_body FROM idempotency_records WHERE operator_id = $1 AND scope = $2 AND key = $3',
    [claim.operatorId, claim.scope, claim.key],
  );
  const row = rows[0];
  if (!row) return { kind: 'new' };
  if (row.request_hash !== claim.requestHash) throw idempotencyKeyReused();
  return { kind: 'replay', status: row.response_status, body: row.response_body };
}

/** Stores the answer of a claimed key, in the same transaction as the work. */
export async function completeIdempotencyKey(
  db: Queryable,
  record: { operatorId: string; scope: string; key: string; status: number; body: unknown },
): Promise<void> {
  await db.query(
    `UPDATE idempotency_records SET response_status = $4, response_body = $5
      WHERE operator_id = $1 AND scope = $2 AND key = $3`,
    [record.operatorId, record.scope, record.key, record.status, JSON.stringify(record.body)],
  );
}
