import type { Queryable } from '../../shared/db.ts';
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

export interface AuditRow {
  id: number;
  action: string;
  actor: string;
  player_id: string | null;
  bet_id: string | null;
  data: Record<string, unknown>;
  created_at: Date;
}

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
 * Reads up to `query.limit + 1` of the operator's audit_log rows, newest first (created_at,
 * then id), after the cursor: the filters are index ranges on the audit_operator_*_created
 * indexes. `position_at` is created_at to the microsecond, as the next cursor carries it.
 */
export async function selectAuditRows(db: Queryable, operatorId: string, query: AuditQuery) {
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
  return rows;
}
