import type { EntityManager } from '@mikro-orm/postgresql';
import type { Db } from '../../shared/db.ts';
import { inTransaction, sqlOf } from '../../shared/em-transaction.ts';
import { conflict, forbidden, notFound } from '../../shared/errors.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { appendAudit } from '../audit/service.ts';
import { hasUnsettledBet } from '../bets/service.ts';
import { lockPlayer } from '../players/service.ts';
import { findSessionStandingOf } from '../sessions/service.ts';
import { newSeedPair, openServerSeed } from './sealed-seeds.ts';
import { insertSeedPair, lockActiveSeedPair, revealSeedPair, type SeedPairRow } from './store.ts';

/** SPEC §3 rotate: the revealed pair (and how many nonces it used), and the new commitment. */
export interface SeedRotation {
  previous: { serverSeed: string; serverSeedHash: string; clientSeed: string; nonce: number };
  current: { serverSeedHash: string; clientSeed: string; nonce: number };
}

/**
 * Rotations of one player queue on the player row first: otherwise one waiting on the
 * pair lock would find, once it is granted, that the pair was retired under it. NO KEY
 * UPDATE leaves launches (whose session rows only key-share the player) unblocked. Then
 * the pair itself, the lock bet placement takes to draw a nonce.
 */
async function lockActivePair(tx: EntityManager, operatorId: string, playerId: string): Promise<SeedPairRow> {
  await lockPlayer(tx, operatorId, playerId);
  const pair = await lockActiveSeedPair(await sqlOf(tx), operatorId, playerId);
  if (!pair) throw notFound('seed pair');
  return pair;
}

/**
 * `POST /sessions/:token/seeds/rotate` (SPEC §3, §5): reveals the player's server seed and
 * starts a new pair at nonce 0. Bet placement writes a bet only in the statement that
 * advances the pair's nonce, which takes the same row lock and requires the pair to be
 * active, so once it is held no bet can draw from the old pair; the open-bet check runs as a later
 * statement so it sees every bet committed by whoever held the lock before. A seed is
 * never revealed while one of the player's bets is unsettled (parked ones included):
 * its outcome would be known before the money is.
 */
export async function rotateSeeds(db: Db, keyring: SecretsKeyring, operatorId: string, token: string, clientSeed?: string): Promise<SeedRotation> {
  return inTransaction(db.orm.em.fork(), async (tx) => {
    const client = await sqlOf(tx);
    const session = await findSessionStandingOf(tx, operatorId, token);
    if (!session) throw notFound('session');
    // Rotation acts for the player, so it needs a live session, like a bet does.
    if (session.revoked) throw forbidden('SESSION_REVOKED', 'the session was revoked');
    if (session.expired) throw forbidden('SESSION_EXPIRED', 'the session has expired');
    const playerId = session.playerId;

    const previous = await lockActivePair(tx, operatorId, playerId);
    if (await hasUnsettledBet(client, operatorId, playerId)) throw conflict('BETS_IN_PROGRESS', 'a bet of this player is not settled yet; rotate once it is');

    // Revealed, the seed is public: it is stored in clear from now on, so the round views
    // can show it straight from the row (SPEC §5).
    const revealed = openServerSeed(keyring, previous.id, previous.server_seed);
    await revealSeedPair(client, operatorId, previous.id, revealed);
    const pair = newSeedPair(keyring, { operatorId, playerId, clientSeed });
    await insertSeedPair(client, pair);
    const current = { serverSeedHash: pair.serverSeedHash, clientSeed: pair.clientSeed, nonce: 0 };
    // Hashes only: the audit trail never holds a server seed.
    await appendAudit(client, [
      {
        operatorId,
        actor: 'operator',
        action: 'seeds.rotated',
        playerId,
        data: {
          sessionToken: token,
          previousServerSeedHash: previous.server_seed_hash,
          previousNonce: previous.next_nonce,
          serverSeedHash: current.serverSeedHash,
        },
      },
    ]);
    return {
      previous: {
        serverSeed: revealed,
        serverSeedHash: previous.server_seed_hash,
        clientSeed: previous.client_seed,
        nonce: previous.next_nonce,
      },
      current,
    };
  });
}
