import type { Queryable } from '../../shared/db.ts';

export interface SessionRow {
  token: string;
  player_id: string;
  currency: string;
  jurisdiction: string;
  status: 'active' | 'revoked';
  expires_at: Date;
  created_at: Date;
  revoked_at: Date | null;
  server_seed_hash: string;
  client_seed: string;
  next_nonce: number;
}

// ── sessions ─────────────────────────────────────────────────────────────────

/**
 * The session joined with the player's active seed pair (what the player would bet with
 * now): a read of the fairness module's seed_pairs, in the caller's transaction so a
 * launch sees the pair it just made.
 */
export async function findSessionWithActivePair(db: Queryable, operatorId: string, token: string): Promise<SessionRow | undefined> {
  const { rows } = await db.query<SessionRow>(
    `SELECT s.token, s.player_id, s.currency, s.jurisdiction, s.status, s.expires_at, s.created_at, s.revoked_at,
            sp.server_seed_hash, sp.client_seed, sp.next_nonce
       FROM sessions s
       JOIN seed_pairs sp ON sp.operator_id = s.operator_id AND sp.player_id = s.player_id AND sp.active
      WHERE s.operator_id = $1 AND s.token = $2`,
    [operatorId, token],
  );
  return rows[0];
}

/** Inserts an active session that expires `ttlSeconds` from the database's now. */
export async function insertSession(
  db: Queryable,
  session: { token: string; operatorId: string; playerId: string; currency: string; jurisdiction: string; ttlSeconds: number },
): Promise<void> {
  await db.query(
    `INSERT INTO sessions (token, operator_id, player_id, currency, jurisdiction, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
    [session.token, session.operatorId, session.playerId, session.currency, session.jurisdiction, session.ttlSeconds],
  );
}

/** Revokes the session if it is active; false when it was not (unknown, or revoked already). */
export async function revokeActiveSession(db: Queryable, operatorId: string, token: string): Promise<boolean> {
  const { rows } = await db.query<{ player_id: string }>(
    `UPDATE sessions SET status = 'revoked', revoked_at = now()
      WHERE operator_id = $1 AND token = $2 AND status = 'active' RETURNING player_id`,
    [operatorId, token],
  );
  return rows.length > 0;
}

/** The session's player and standing (status, and whether it has expired by the database's clock). */
export async function findSessionStanding(
  db: Queryable,
  operatorId: string,
  token: string,
): Promise<{ player_id: string; status: string; expired: boolean } | undefined> {
  const { rows } = await db.query<{ player_id: string; status: string; expired: boolean }>(
    'SELECT player_id, status, expires_at <= now() AS expired FROM sessions WHERE operator_id = $1 AND token = $2',
    [operatorId, token],
  );
  return rows[0];
}
