import type { EntityManager } from '@mikro-orm/postgresql';
import type { Queryable } from '../../shared/db.ts';
import { notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import { outcomeShown, payoutShown } from '../bets/outcome-secrecy.ts';
import { playerExists } from '../players/service.ts';
import type { PlayerRoundsQuery } from './schemas.ts';
import { selectPlayerRounds, selectRound, type RecalledRoundRow, type RoundRow } from './store.ts';

/** SPEC §3 round: everything needed to recompute it (§5), the server seed once revealed. */
export interface RoundView {
  id: string;
  betId: string;
  playerId: string;
  game: string;
  gameVersion: string;
  config: Record<string, unknown>;
  /** Null while it is secret: the same rule as the bet's (bets/outcome-secrecy.ts). */
  outcome: Record<string, unknown> | null;
  fairness: { serverSeedHash: string; clientSeed: string; nonce: number; serverSeed: string | null };
  createdAt: string;
}

/** A round of game recall: the round and the bet it settled, enough to replay it. */
export interface RecalledRoundView extends RoundView {
  bet: { id: string; amount: number; currency: string; params: Record<string, unknown>; status: string; payout: number };
}

function toView(row: RoundRow): RoundView {
  return {
    id: row.id,
    betId: row.bet_id,
    playerId: row.player_id,
    game: row.game,
    gameVersion: row.game_version,
    config: row.config,
    outcome: outcomeShown(row.status, row.seed_revealed) ? row.outcome : null,
    fairness: { serverSeedHash: row.server_seed_hash, clientSeed: row.client_seed, nonce: row.nonce, serverSeed: row.server_seed },
    createdAt: row.created_at.toISOString(),
  };
}

function toRecalledView(row: RecalledRoundRow): RecalledRoundView {
  return {
    ...toView(row),
    bet: {
      id: row.bet_id,
      amount: row.amount,
      currency: row.currency.trim(),
      params: row.params,
      status: row.status,
      payout: payoutShown(row.status) ? row.payout : 0,
    },
  };
}

/** `GET /rounds/:id`: another operator's round is not found (SPEC §3). */
export async function getRound(db: Queryable, operatorId: string, roundId: string): Promise<RoundView> {
  const rows = await selectRound(db, operatorId, roundId);
  if (!rows[0]) throw notFound('round');
  return toView(rows[0]);
}

/**
 * `GET /players/:playerId/rounds`: game recall, newest first (rounds_operator_player_created).
 * A player the operator never launched is 404, not an empty list, so a mistyped id is
 * told apart from a player who has not played yet.
 */
export async function listPlayerRounds(db: Queryable, em: EntityManager, operatorId: string, playerId: string, query: PlayerRoundsQuery) {
  const rows = await selectPlayerRounds(db, operatorId, playerId, query.limit + 1, query.cursor);
  if (rows.length === 0 && !(await playerExists(em, operatorId, playerId))) throw notFound('player');
  return toPage(rows, query.limit, toRecalledView, (row) => [row.position_at, row.id]);
}
