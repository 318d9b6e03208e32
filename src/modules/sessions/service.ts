import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Db } from '../../shared/db.ts';
import { env } from '../../config/env.ts';
import { inTransaction, sqlOf } from '../../shared/em-transaction.ts';
import { requestHash } from '../../shared/request-hash.ts';
import { forbidden, notFound } from '../../shared/errors.ts';
import { appendAudit } from '../audit/service.ts';
import { recordEvents } from '../events/service.ts';
import { isJurisdictionBlocked } from '../compliance/service.ts';
import { claimIdempotencyKey, completeIdempotencyKey } from '../idempotency/service.ts';
import { ensureActiveSeedPair } from '../fairness/launch-seed-pair.ts';
import { activeSeedCommitment, type SeedCommitment } from '../fairness/active-seed-pair.ts';
import { ensurePlayer } from '../players/service.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import type { LaunchInput } from './schemas.ts';
import type { Session } from './entity.ts';
import { findSession, insertSession, revokeActiveSession } from './store.ts';

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

type SessionFields = Pick<Session, 'token' | 'playerId' | 'currency' | 'jurisdiction' | 'status' | 'expiresAt' | 'createdAt' | 'revokedAt'>;

function toView(session: SessionFields, fairness: SeedCommitment, now = new Date()): SessionView {
  const status: SessionStatus = session.status === 'revoked' ? 'revoked' : session.expiresAt <= now ? 'expired' : 'active';
  return {
    sessionToken: session.token,
    playerId: session.playerId,
    currency: session.currency.trim(),
    jurisdiction: session.jurisdiction,
    status,
    active: status === 'active',
    expiresAt: session.expiresAt.toISOString(),
    createdAt: session.createdAt.toISOString(),
    revokedAt: session.revokedAt?.toISOString() ?? null,
    fairness,
  };
}

/** The session with the player's active seed pair (what the player would bet with now). */
async function sessionView(em: EntityManager, operatorId: string, token: string): Promise<SessionView> {
  const session = await findSession(em, operatorId, token);
  if (!session) throw notFound('session');
  const fairness = await activeSeedCommitment(em, operatorId, session.playerId);
  if (!fairness) throw notFound('session');
  return toView(session, fairness);
}

const LAUNCH_SCOPE = 'sessions.launch';

/** What `npm start`'s demo data fixes of a launch (src/demo/demo-data.ts). */
interface FixedLaunch {
  token: string;
  ttlSeconds: number;
  serverSeed?: string;
}

export interface SessionsService {
  /**
   * `fixed` is for `npm start`'s demo data only (src/demo): a token the document's examples
   * name, a lifetime of its own and, for a player's first pair, the server seed (the demo's
   * parked credit needs a bet known to win).
   */
  launch(em: EntityManager, operatorId: string, input: LaunchInput, idempotencyKey?: string, fixed?: FixedLaunch): Promise<{ status: number; body: SessionView }>;
  verify(em: EntityManager, operatorId: string, token: string): Promise<SessionView>;
  revoke(em: EntityManager, operatorId: string, token: string): Promise<SessionView>;
}

/** `db` writes the audit rows of reads and refusals (outside any transaction). */
export function createSessionsService(deps: { db: Db; keyring: SecretsKeyring; sessionTtlSeconds: number; eventsCommitted: () => void }): SessionsService {
  const { db } = deps;

  async function launch(em: EntityManager, operatorId: string, input: LaunchInput, idempotencyKey?: string, fixed?: FixedLaunch) {
    // A chosen server seed is known before the bet (SPEC §5): never outside the local demo.
    if (fixed && env.NODE_ENV === 'production') throw new Error('sessions.launch: fixed launches are for the local demo only, refused with NODE_ENV=production');
    if (await isJurisdictionBlocked(em, operatorId, input.jurisdiction)) {
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
    const launched = await inTransaction(em, async (tx) => {
      const client = await sqlOf(tx);
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
      await ensurePlayer(tx, operatorId, input.playerId);
      // A client seed given at launch replaces the current one (SPEC §5).
      await ensureActiveSeedPair(client, deps.keyring, operatorId, input.playerId, input.clientSeed, fixed?.serverSeed);
      const fairness = await activeSeedCommitment(tx, operatorId, input.playerId);
      if (!fairness) throw new Error(`session launch: player ${input.playerId} has no active seed pair after ensureActiveSeedPair`);
      const token = fixed?.token ?? randomUUID();
      const createdAt = new Date();
      const launchedSession: SessionFields = {
        token,
        playerId: input.playerId,
        currency: input.currency,
        jurisdiction: input.jurisdiction,
        status: 'active',
        createdAt,
        expiresAt: new Date(createdAt.getTime() + (fixed?.ttlSeconds ?? deps.sessionTtlSeconds) * 1_000),
        revokedAt: null,
      };
      await insertSession(tx, { ...launchedSession, operatorId });
      const session = toView(launchedSession, fairness);
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

  async function verify(em: EntityManager, operatorId: string, token: string) {
    const session = await sessionView(em, operatorId, token);
    await appendAudit(db, [
      { operatorId, actor: 'operator', action: 'session.verified', playerId: session.playerId, data: { sessionToken: token, status: session.status } },
    ]);
    return session;
  }

  async function revoke(em: EntityManager, operatorId: string, token: string) {
    const revoked = await inTransaction(em, async (tx) => {
      const revokedNow = await revokeActiveSession(tx, operatorId, token, new Date());
      const session = await sessionView(tx, operatorId, token);
      const client = await sqlOf(tx);
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
  em: EntityManager,
  operatorId: string,
  token: string,
): Promise<{ playerId: string; revoked: boolean; expired: boolean } | undefined> {
  const session = await findSession(em, operatorId, token);
  return session ? { playerId: session.playerId, revoked: session.status === 'revoked', expired: session.expiresAt <= new Date() } : undefined;
}
