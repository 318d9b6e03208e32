import type { Queryable } from '../../shared/db.ts';

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
