import type { Queryable } from '../../shared/db.ts';
import { toPage } from '../../shared/pagination.ts';
import type { AuditQuery } from './schemas.ts';

export interface AuditInput {
  operatorId: string | null;
  actor: 'operator' | 'admin' | 'system';
  action: string;
  playerId?: string | null;
  betId?: string | null;
  data?: Record<string, unknown>;
}

/** Appends audit rows; call it inside the transaction of the change it records (SPEC §8). */
export async function appendAudit(db: Queryable, entries: AuditInput[]): Promise<void> {
  if (entries.length === 0) return;
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

interface AuditRow {
  id: number;
  action: string;
  actor: string;
  player_id: string | null;
  bet_id: string | null;
  data: Record<string, unknown>;
  created_at: Date;
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
  const params: unknown[] = [operatorId];
  const where = ['operator_id = $1'];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  if (query.action !== undefined) add((p) => `action = ${p}`, query.action);
  if (query.playerId !== undefined) add((p) => `player_id = ${p}`, query.playerId);
  if (query.from !== undefined) add((p) => `created_at >= ${p}::timestamptz`, query.from);
  if (query.to !== undefined) add((p) => `created_at < ${p}::timestamptz`, query.to);
  if (query.cursor !== undefined) {
    const [at, id] = query.cursor;
    params.push(at);
    add((p) => `(created_at, id) < ($${params.length - 1}::timestamptz, ${p}::bigint)`, id);
  }
  params.push(query.limit + 1);
  const { rows } = await db.query<AuditRow & { position_at: string }>(
    `SELECT id, action, actor, player_id, bet_id, data, created_at,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_at
       FROM audit_log WHERE ${where.join(' AND ')}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return toPage(rows, query.limit, toAuditView, (row) => [row.position_at, String(row.id)]);
}
