import type { EntityManager } from '@mikro-orm/postgresql';
import type { Queryable } from '../../shared/db.ts';
import { toPage } from '../../shared/pagination.ts';
import type { AuditQuery } from './schemas.ts';
import { insertAuditRows, selectAuditRows, type AuditInput, type PositionedAuditEntry } from './store.ts';

/**
 * Appends audit rows; call it inside the transaction of the change it records (SPEC §8).
 * Other modules write audit_log only through this function.
 */
export async function appendAudit(db: Queryable, entries: AuditInput[]): Promise<void> {
  if (entries.length === 0) return;
  await insertAuditRows(db, entries);
}

/** SPEC §3 audit entry, as `GET /audit` lists it. */
export interface AuditView {
  /** The bigint identity, as a string so no client rounds it. */
  id: string;
  action: string;
  actor: string;
  playerId: string | null;
  betId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

function toAuditView(entry: PositionedAuditEntry): AuditView {
  return {
    id: entry.id,
    action: entry.action,
    actor: entry.actor,
    playerId: entry.playerId,
    betId: entry.betId,
    data: entry.data,
    createdAt: entry.createdAt.toISOString(),
  };
}

/**
 * The operator's audit trail, newest first (created_at, then id), keyset-paginated on both
 * through the audit_operator_*_created indexes, so `from`/`to` are index ranges.
 */
export async function listAudit(em: EntityManager, operatorId: string, query: AuditQuery) {
  const entries = await selectAuditRows(em, operatorId, query);
  return toPage(entries, query.limit, toAuditView, (entry) => [entry.positionAt, entry.id]);
}
