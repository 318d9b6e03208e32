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

// Names "an idempotency key" among two-key advisory locks (the second key is the key's hash).
const KEY_LOCK_CLASS = 7_346_205;

/**
 * Inserts the key's row with no answer yet (status 0); false when the key already has one.
 * idempotency_records is partitioned by time, so its primary key holds created_at and
 * cannot refuse a second row for the key (migrations/0012-time-partitioned-tables.ts): a
 * transaction advisory lock on the key does, taken in a statement before the look so that
 * the look sees a concurrent claim's commit. A concurrent claim of the same key waits on
 * the lock until the first transaction ends, as it waited on the primary key before. Two
 * keys with the same hash only wait on each other.
 */
export async function insertIdempotencyClaim(db: Queryable, id: IdempotencyKeyId, requestHash: string): Promise<boolean> {
  await db.query("SELECT pg_advisory_xact_lock($1, hashtext($2 || ':' || $3 || ':' || $4))", [KEY_LOCK_CLASS, id.operatorId, id.scope, id.key]);
  const inserted = await db.query(
    `INSERT INTO idempotency_records (operator_id, scope, key, request_hash, response_status, response_body)
     SELECT $1, $2, $3, $4, 0, '{}'
      WHERE NOT EXISTS (SELECT 1 FROM idempotency_records WHERE operator_id = $1 AND scope = $2 AND key = $3)
     RETURNING 1`,
    [id.operatorId, id.scope, id.key, requestHash],
  );
  return inserted.rowCount === 1;
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
