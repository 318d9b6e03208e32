import type { EntityManager } from '@mikro-orm/postgresql';
import type { BetStatus } from '../../../machines/bet.machine.ts';
import { notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import { outcomeShown, payoutShown } from '../bets/outcome-secrecy.ts';
import { playerExists } from '../players/service.ts';
import type { PlayerRoundsQuery } from './schemas.ts';
import { findRound, selectPlayerRounds, type RecalledRoundRead, type RoundRead } from './store.ts';

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

/** The round's bet's state, as the bet path writes bets.status from its machine: its outcome is secret until the debit is applied. */
const statusOf = (round: RoundRead) => round.bet.status as BetStatus;

function toView(round: RoundRead): RoundView {
  const revealed = round.seedPair.revealedAt !== null;
  return {
    id: round.id,
    betId: round.bet.id,
    playerId: round.playerId,
    game: round.game,
    gameVersion: round.gameVersion,
    config: round.config,
    outcome: outcomeShown(statusOf(round), revealed) ? round.outcome : null,
    fairness: {
      serverSeedHash: round.serverSeedHash,
      clientSeed: round.clientSeed,
      nonce: round.nonce,
      // Null until the seed pair is rotated: a server seed never leaves the server before (§11).
      serverSeed: revealed ? round.seedPair.serverSeed : null,
    },
    createdAt: round.createdAt.toISOString(),
  };
}

function toRecalledView(round: RecalledRoundRead): RecalledRoundView {
  return {
    ...toView(round),
    bet: {
      id: round.bet.id,
      amount: round.bet.amount,
      currency: round.bet.currency.trim(),
      params: round.bet.params,
      status: round.bet.status,
      payout: payoutShown(statusOf(round)) ? round.bet.payout : 0,
    },
  };
}

/** `GET /rounds/:id`: another operator's round is not found (SPEC §3). */
export async function getRound(em: EntityManager, operatorId: string, roundId: string): Promise<RoundView> {
  const round = await findRound(em, operatorId, roundId);
  if (!round) throw notFound('round');
  return toView(round);
}

/**
 * `GET /players/:playerId/rounds`: game recall, newest first (rounds_operator_player_created).
 * A player the operator never launched is 404, not an empty list, so a mistyped id is
 * told apart from a player who has not played yet.
 */
export async function listPlayerRounds(em: EntityManager, operatorId: string, playerId: string, query: PlayerRoundsQuery) {
  const rounds = await selectPlayerRounds(em, operatorId, playerId, query.limit + 1, query.cursor);
  if (rounds.length === 0 && !(await playerExists(em, operatorId, playerId))) throw notFound('player');
  return toPage(rounds, query.limit, toRecalledView, (round) => [round.positionAt, round.id]);
}
