import { randomUUID } from 'node:crypto';
import { withTransaction, type Db, type Queryable } from '../../shared/db.ts';
import { requestHash } from '../../shared/request-hash.ts';
import { forbidden, notFound } from '../../shared/errors.ts';
import { appendAudit } from '../audit/service.ts';
import { recordEvents } from '../events/service.ts';
import { isJurisdictionBlocked } from '../compliance/service.ts';
import { claimIdempotencyKey, completeIdempotencyKey } from '../idempotency/service.ts';
import { ensureActiveSeedPair } from '../fairness/launch-seed-pair.ts';
import { ensurePlayer } from '../players/service.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import type { LaunchInput } from './schemas.ts';
import { findSessionStanding, findSessionWithActivePair, insertSession, revokeActiveSession, type SessionRow } from './store.ts';

export type SessionStatus = 'active' | 'revoked' | 'expired';

/** SPEC §3: the session as launch, verify and revoke return it. */
export interface SessionView {
  sessionToken: string;
  playerId: string;
  currency: string;
  jurisdiction: string;
  status: SessionStatus;
  active: boolean;
  expiresAt: string;
  createdAt: string;
  revokedAt: string | null;
  fairness: { serverSeedHash: string; clientSeed: string; nonce: number };
}

function toView(row: SessionRow, now = new Date()): SessionView {
  const status: SessionStatus = row.status === 'revoked' ? 'revoked' : row.expires_at <= now ? 'expired' : 'active';
  return {
    sessionToken: row.token,
    playerId: row.player_id,
    currency: row.currency.trim(),
    jurisdiction: row.jurisdiction,
    status,
    active: status === 'active',
    expiresAt: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
    fairness: { serverSeedHash: row.server_seed_hash, clientSeed: row.client_seed, nonce: row.next_nonce },
  };
}

async function findSession(db: Queryable, operatorId: string, token: string): Promise<SessionRow> {
  const row = await findSessionWithActivePair(db, operatorId, token);
  if (!row) throw notFound('session');
  return row;
}

const LAUNCH_SCOPE = 'sessions.launch';

export interface SessionsService {
  launch(operatorId: string, input: LaunchInput, idempotencyKey?: string): Promise<{ status: number; body: SessionView }>;
  verify(operatorId: string, token: string): Promise<SessionView>;
  revoke(operatorId: string, token: string): Promise<SessionView>;
}

export function createSessionsService(deps: { db: Db; keyring: SecretsKeyring; sessionTtlSeconds: number; eventsCommitted: () => void }): SessionsService {
  const { db } = deps;

  async function launch(operatorId: string, input: LaunchInput, idempotencyKey?: string) {
    if (await isJurisdictionBlocked(db, operatorId, input.jurisdiction)) {
      await appendAudit(db, [
        {
          operatorId,
          actor: 'operator',
          action: 'session.refused',
          playerId: input.playerId,
          data: { code: 'JURISDICTION_BLOCKED', jurisdiction: input.jurisdiction },
        },
      ]);
      throw forbidden('JURISDICTION_BLOCKED', `jurisdiction ${input.jurisdiction} is blocked for this operator`);
    }
    const launched = await withTransaction(db, async (client) => {
      if (idempotencyKey) {
        const claim = await claimIdempotencyKey(client, {
          operatorId,
          scope: LAUNCH_SCOPE,
          key: idempotencyKey,
          requestHash: requestHash(input),
        });
        if (claim.kind === 'replay') return { status: claim.status, body: claim.body as unknown as SessionView };
      }
      // Concurrent first launches of one player on several nodes: the primary key and the
      // one-active-seed-pair index make the losers wait, then find the winner's rows.
      await ensurePlayer(client, operatorId, input.playerId);
      // A client seed given at launch replaces the current one (SPEC §5).
      await ensureActiveSeedPair(client, deps.keyring, operatorId, input.playerId, input.clientSeed);
      const token = randomUUID();
      await insertSession(client, {
        token,
        operatorId,
        playerId: input.playerId,
        currency: input.currency,
        jurisdiction: input.jurisdiction,
        ttlSeconds: deps.sessionTtlSeconds,
      });
      const session = toView(await findSession(client, operatorId, token));
      await appendAudit(client, [
        {
          operatorId,
          actor: 'operator',
          action: 'session.launched',
          playerId: input.playerId,
          data: { sessionToken: token, currency: input.currency, jurisdiction: input.jurisdiction },
        },
      ]);
      await recordEvents(client, operatorId, [
        {
          type: 'session.launched',
          playerId: input.playerId,
          data: {
            sessionToken: token,
            playerId: input.playerId,
            currency: input.currency,
            jurisdiction: input.jurisdiction,
            expiresAt: session.expiresAt,
          },
        },
      ]);
      if (idempotencyKey) {
        await completeIdempotencyKey(client, { operatorId, scope: LAUNCH_SCOPE, key: idempotencyKey, status: 201, body: session });
      }
      return { status: 201, body: session };
    });
    deps.eventsCommitted();
    return launched;
  }

  async function verify(operatorId: string, token: string) {
    const session = toView(await findSession(db, operatorId, token));
    await appendAudit(db, [
      { operatorId, actor: 'operator', action: 'session.verified', playerId: session.playerId, data: { sessionToken: token, status: session.status } },
    ]);
    return session;
  }

  async function revoke(operatorId: string, token: string) {
    const revoked = await withTransaction(db, async (client) => {
      const revokedNow = await revokeActiveSession(client, operatorId, token);
      const session = toView(await findSession(client, operatorId, token));
      // Revoking twice answers the same session and records nothing new.
      if (revokedNow) {
        await appendAudit(client, [
          { operatorId, actor: 'operator', action: 'session.revoked', playerId: session.playerId, data: { sessionToken: token } },
        ]);
        await recordEvents(client, operatorId, [
          { type: 'session.revoked', playerId: session.playerId, data: { sessionToken: token, playerId: session.playerId } },
        ]);
      }
      return session;
    });
    deps.eventsCommitted();
    return revoked;
  }

  return { launch, verify, revoke };
}

/**
 * The player a session acts for and whether it may still act (not revoked, not expired),
 * for other modules' player actions (seed rotation); undefined for an unknown token.
 */
export async function findSessionStandingOf(
  db: Queryable,
  operatorId: string,
  token: string,
): Promise<{ playerId: string; revoked: boolean; expired: boolean } | undefined> {
  const row = await findSessionStanding(db, operatorId, token);
  return row && { playerId: row.player_id, revoked: row.status === 'revoked', expired: row.expired };
}
