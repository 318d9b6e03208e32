import type { Queryable } from '../../shared/db.ts';
import { toPage } from '../../shared/pagination.ts';
import type { AuditQuery } from './schemas.ts';
import { insertAuditRows, selectAuditRows, type AuditInput, type AuditRow } from './store.ts';

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

function toAuditView(row: AuditRow): AuditView {
  return {
    id: String(row.id),
    action: row.action,
    actor: row.actor,
    playerId: row.player_id,
    betId: row.bet_id,
    data: row.data,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * The operator's audit trail, newest first (created_at, then id), keyset-paginated on both
 * through the audit_operator_*_created indexes, so `from`/`to` are index ranges.
 */
export async function listAudit(db: Queryable, operatorId: string, query: AuditQuery) {
  const rows = await selectAuditRows(db, operatorId, query);
  return toPage(rows, query.limit, toAuditView, (row) => [row.position_at, String(row.id)]);
}
