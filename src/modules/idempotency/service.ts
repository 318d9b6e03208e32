import type { Queryable } from '../../shared/db.ts';
import { DomainError } from '../../shared/errors.ts';
import { findIdempotencyRecord, insertIdempotencyClaim, updateIdempotencyAnswer } from './store.ts';

export type IdempotencyClaim = { kind: 'new' } | { kind: 'replay'; status: number; body: Record<string, unknown> };

export const idempotencyKeyReused = () =>
  new DomainError(422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency key reused', 'this Idempotency-Key was used with a different body');

/**
 * Claims an idempotency key inside the caller's transaction (SPEC §3). The claim and
 * the stored answer commit together with the work, so there is no "in progress" state to
 * recover after a crash: a concurrent duplicate on any node blocks on the key's lock
 * until the first transaction ends, then replays its answer (or proceeds if it rolled back).
 */
export async function claimIdempotencyKey(
  db: Queryable,
  claim: { operatorId: string; scope: string; key: string; requestHash: string },
): Promise<IdempotencyClaim> {
  if (await insertIdempotencyClaim(db, claim, claim.requestHash)) return { kind: 'new' };
  const row = await findIdempotencyRecord(db, claim);
  if (!row) return { kind: 'new' };
  if (row.request_hash !== claim.requestHash) throw idempotencyKeyReused();
  return { kind: 'replay', status: row.response_status, body: row.response_body };
}

/** Stores the answer of a claimed key, in the same transaction as the work. */
export async function completeIdempotencyKey(
  db: Queryable,
  record: { operatorId: string; scope: string; key: string; status: number; body: unknown },
): Promise<void> {
  await updateIdempotencyAnswer(db, record, record.status, record.body);
}
