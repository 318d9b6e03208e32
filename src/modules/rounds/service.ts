import type { Queryable } from '../../shared/db.ts';
import type { BetStatus } from '../../../machines/bet.machine.ts';
import { notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import { outcomeShown, payoutShown } from '../bets/outcome-secrecy.ts';
import type { PlayerRoundsQuery } from './schemas.ts';

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

interface RoundRow {
  id: string;
  bet_id: string;
  player_id: string;
  game: string;
  game_version: string;
  config: Record<string, unknown>;
  outcome: Record<string, unknown>;
  server_seed_hash: string;
  client_seed: string;
  nonce: number;
  /** Null until the seed pair is rotated: a server seed never leaves the server before (§11). */
  server_seed: string | null;
  created_at: Date;
  seed_revealed: boolean;
  /** The round's bet's state: its outcome is secret until the debit is applied. */
  status: BetStatus;
}

interface RecalledRoundRow extends RoundRow {
  amount: number;
  currency: string;
  params: Record<string, unknown>;
  payout: number;
  /** created_at to the microsecond: the page position (a Date keeps milliseconds only). */
  position_at: string;
}

const ROUND_COLUMNS = `
  r.id, r.bet_id, r.player_id, r.game, r.game_version, r.config, r.outcome, r.server_seed_hash, r.client_seed, r.nonce,
  r.created_at, CASE WHEN sp.revealed_at IS NOT NULL THEN sp.server_seed END AS server_seed,
  sp.revealed_at IS NOT NULL AS seed_revealed, b.status`;

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
  const { rows } = await db.query<RoundRow>(
    `SELECT ${ROUND_COLUMNS}
       FROM rounds r
       JOIN seed_pairs sp ON sp.id = r.seed_pair_id
       JOIN bets b ON b.id = r.bet_id AND b.operator_id = r.operator_id
      WHERE r.operator_id = $1 AND r.id = $2`,
    [operatorId, roundId],
  );
  if (!rows[0]) throw notFound('round');
  return toView(rows[0]);
}

/**
 * `GET /players/:playerId/rounds`: game recall, newest first (rounds_operator_player_created).
 * A player the operator never launched is 404, not an empty list, so a mistyped id is
 * told apart from a player who has not played yet.
 */
export async function listPlayerRounds(db: Queryable, operatorId: string, playerId: string, query: PlayerRoundsQuery) {
  const params: unknown[] = [operatorId, playerId, query.limit + 1];
  let after = '';
  if (query.cursor !== undefined) {
    params.push(...query.cursor);
    after = 'AND (r.created_at, r.id) < ($4::timestamptz, $5::uuid)';
  }
  const { rows } = await db.query<RecalledRoundRow>(
    `SELECT ${ROUND_COLUMNS}, b.amount, b.currency, b.params, b.payout,
            to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position_at
       FROM rounds r
       JOIN seed_pairs sp ON sp.id = r.seed_pair_id
       JOIN bets b ON b.id = r.bet_id AND b.operator_id = r.operator_id
      WHERE r.operator_id = $1 AND r.player_id = $2 ${after}
      ORDER BY r.created_at DESC, r.id DESC LIMIT $3`,
    params,
  );
  if (rows.length === 0) {
    const player = await db.query('SELECT 1 FROM players WHERE operator_id = $1 AND player_id = $2', [operatorId, playerId]);
    if (player.rowCount === 0) throw notFound('player');
  }
  return toPage(rows, query.limit, toRecalledView, (row) => [row.position_at, row.id]);
}
