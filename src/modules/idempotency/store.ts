import type { Queryable } from '../../shared/db.ts';

/** Which key of which operator's scope: idempotency_records' primary key. */
export interface IdempotencyKeyId {
  operatorId: string;
  scope: string;
  key: string;
}

export interface IdempotencyRow {
  request_hash: string;
  response_status: number;
  response_body: Record<string, unknown>;
}

// ── idempotency_records ──────────────────────────────────────────────────────

/**
 * Inserts the key's row with no answer yet (status 0); false when the key already has one.
 * idempotency_records is partitioned by time, so its primary key holds created_at and
 * cannot refuse a second row for the key: rgs_claim_idempotency_key takes a transaction
 * advisory lock on the key, then looks and inserts, in one round trip
 * (migrations/0012-time-partitioned-tables.ts). A concurrent claim of the same key waits on
 * the lock until the first transaction ends, as it waited on the primary key before.
 */
export async function insertIdempotencyClaim(db: Queryable, id: IdempotencyKeyId, requestHash: string): Promise<boolean> {
  const { rows } = await db.query<{ claimed: boolean }>('SELECT rgs_claim_idempotency_key($1, $2, $3, $4) AS claimed', [id.operatorId, id.scope, id.key, requestHash]);
  return rows[0]?.claimed === true;
}

/** The key's stored request hash and answer. */
export async function findIdempotencyRecord(db: Queryable, id: IdempotencyKeyId): Promise<IdempotencyRow | undefined> {
  const { rows } = await db.query<IdempotencyRow>(
    'SELECT request_hash, response_status, response_body FROM idempotency_records WHERE operator_id = $1 AND scope = $2 AND key = $3',
    [id.operatorId, id.scope, id.key],
  );
  return rows[0];
}

/** Stores the answer on the key's row. */
export async function updateIdempotencyAnswer(db: Queryable, id: IdempotencyKeyId, status: number, body: unknown): Promise<void> {
  await db.query(
    `UPDATE idempotency_records SET response_status = $4, response_body = $5
      WHERE operator_id = $1 AND scope = $2 AND key = $3`,
    [id.operatorId, id.scope, id.key, status, JSON.stringify(body)],
  );
}
