import type { EntityManager } from '@mikro-orm/postgresql';
import { SessionEntity, type Session } from './entity.ts';

// ── sessions ─────────────────────────────────────────────────────────────────

/** The operator's session with this token, or null (another operator's is not found either). */
export async function findSession(em: EntityManager, operatorId: string, token: string): Promise<Session | null> {
  return em.findOne(SessionEntity, { token, operator: operatorId });
}

/** Inserts an active session. */
export async function insertSession(
  em: EntityManager,
  session: { token: string; operatorId: string; playerId: string; currency: string; jurisdiction: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await em.insert(SessionEntity, {
    token: session.token,
    operator: session.operatorId,
    playerId: session.playerId,
    currency: session.currency,
    jurisdiction: session.jurisdiction,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
  });
}

/** Revokes the session if it is active; false when it was not (unknown, or revoked already). */
export async function revokeActiveSession(em: EntityManager, operatorId: string, token: string, at: Date): Promise<boolean> {
  const revoked = await em.nativeUpdate(SessionEntity, { token, operator: operatorId, status: 'active' }, { status: 'revoked', revokedAt: at });
  return revoked > 0;
}
