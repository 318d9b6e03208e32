import { randomUUID } from 'node:crypto';
import { withTransaction, type Db, type Queryable } from '../../shared/db.ts';
import { requestHash } from '../../shared/request-hash.ts';
import { forbidden, notFound } from '../../shared/errors.ts';
import { appendAudit } from '../audit/service.ts';
import { recordEvents } from '../events/service.ts';
import { isJurisdictionBlocked } from '../compliance/service.ts';
import { claimIdempotencyKey, completeIdempotencyKey } from '../idempotency/service.ts';
import { generateClientSeed, generateServerSeed, hashServerSeed } from '../fairness/seeds.ts';
import { sealServerSeed } from '../fairness/sealed-seeds.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import type { LaunchInput } from './schemas.ts';

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

interface SessionRow {
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

// The session joined with the player's active seed pair (what the player would bet with now).
const SELECT_SESSION = `
  SELECT s.token, s.player_id, s.currency, s.jurisdiction, s.status, s.expires_at, s.created_at, s.revoked_at,
         sp.server_seed_hash, sp.client_seed, sp.next_nonce
    FROM sessions s
    JOIN seed_pairs sp ON sp.operator_id = s.operator_id AND sp.player_id = s.player_id AND sp.active
   WHERE s.operator_id = $1 AND s.token = $2`;

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
  const { rows } = await db.query<SessionRow>(SELECT_SESSION, [operatorId, token]);
  if (!rows[0]) throw notFound('session');
  return rows[0];
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
      await client.query('INSERT INTO players (operator_id, player_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        operatorId,
        input.playerId,
      ]);
      const serverSeed = generateServerSeed();
      const pairId = randomUUID();
      await client.query(
        `INSERT INTO seed_pairs (id, operator_id, player_id, server_seed, server_seed_hash, client_seed)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (operator_id, player_id) WHERE active DO NOTHING`,
        [pairId, operatorId, input.playerId, sealServerSeed(deps.keyring, pairId, serverSeed), hashServerSeed(serverSeed), input.clientSeed ?? generateClientSeed()],
      );
      // A client seed given at launch replaces the current one; the nonce sequence goes on,
      // so no (seed pair, nonce) is ever reused (SPEC §5).
      if (input.clientSeed) {
        await client.query('UPDATE seed_pairs SET client_seed = $3 WHERE operator_id = $1 AND player_id = $2 AND active', [
          operatorId,
          input.playerId,
          input.clientSeed,
        ]);
      }
      const token = randomUUID();
      await client.query(
        `INSERT INTO sessions (token, operator_id, player_id, currency, jurisdiction, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
        [token, operatorId, input.playerId, input.currency, input.jurisdiction, deps.sessionTtlSeconds],
      );
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
      const { rows } = await client.query<{ player_id: string }>(
        `UPDATE sessions SET status = 'revoked', revoked_at = now()
          WHERE operator_id = $1 AND token = $2 AND status = 'active' RETURNING player_id`,
        [operatorId, token],
      );
      const session = toView(await findSession(client, operatorId, token));
      // Revoking twice answers the same session and records nothing new.
      if (rows[0]) {
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
