import { raw, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Queryable } from '../../shared/db.ts';
import { AuditEntryEntity, type AuditEntry } from './entity.ts';
import type { AuditQuery } from './schemas.ts';

/** One audit row to append (SPEC §8). */
export interface AuditInput {
  operatorId: string | null;
  actor: 'operator' | 'admin' | 'system';
  action: string;
  playerId?: string | null;
  betId?: string | null;
  data?: Record<string, unknown>;
}

/** An audit entry read with its page position (`positionAt`, the cursor's microseconds). */
export type PositionedAuditEntry = AuditEntry & { positionAt: string };

// ── audit_log ────────────────────────────────────────────────────────────────

/**
 * Inserts audit_log rows in one statement: the entries travel as one array per column and
 * unnest zips them, so a change that records several entries costs one round trip.
 */
export async function insertAuditRows(db: Queryable, entries: AuditInput[]): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (operator_id, actor, action, player_id, bet_id, data)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::jsonb[])`,
    [
      entries.map((e) => e.operatorId),
      entries.map((e) => e.actor),
      entries.map((e) => e.action),
      entries.map((e) => e.playerId ?? null),
      entries.map((e) => e.betId ?? null),
      entries.map((e) => JSON.stringify(e.data ?? {})),
    ],
  );
}

/**
 * Up to `query.limit + 1` of the operator's audit entries, newest first (created_at, then
 * id), after the cursor: the filters are index ranges on the audit_operator_*_created
 * indexes. The cursor is compared as a row, (created_at, id) < (…), so Postgres walks the
 * index from that position; `from`/`to` reach Postgres as text, cast there, so a bound
 * keeps its microseconds.
 */
export async function selectAuditRows(em: EntityManager, operatorId: string, query: AuditQuery): Promise<PositionedAuditEntry[]> {
  const createdAt = {
    ...(query.from !== undefined && { $gte: raw('?::timestamptz', [query.from]) }),
    ...(query.to !== undefined && { $lt: raw('?::timestamptz', [query.to]) }),
  };
  const where: FilterQuery<AuditEntry> = {
    operatorId,
    ...(query.action !== undefined && { action: query.action }),
    ...(query.playerId !== undefined && { playerId: query.playerId }),
    ...(Object.keys(createdAt).length > 0 && { createdAt }),
    ...(query.cursor !== undefined && { [raw((alias) => `(${alias}.created_at, ${alias}.id)`)]: { $lt: raw('(?::timestamptz, ?::bigint)', query.cursor) } }),
  };
  const entries = await em.find(AuditEntryEntity, where, {
    populate: ['positionAt'],
    orderBy: { createdAt: 'desc', id: 'desc' },
    limit: query.limit + 1,
  });
  return entries as PositionedAuditEntry[];
}
