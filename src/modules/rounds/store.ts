import type { Queryable } from '../../shared/db.ts';
import type { BetStatus } from '../../../machines/bet.machine.ts';

// Every query of the rounds module. A round view joins its seed pair (the server seed once
// revealed) and its bet (whose status keeps the outcome secret): documented read-only
// joins of the fairness and bets modules' tables, one statement per page instead of three.

export interface RoundRow {
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

export interface RecalledRoundRow extends RoundRow {
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

/** rounds ⋈ seed_pairs ⋈ bets: one round of the operator, if any. */
export async function selectRound(db: Queryable, operatorId: string, roundId: string): Promise<RoundRow[]> {
  const { rows } = await db.query<RoundRow>(
    `SELECT ${ROUND_COLUMNS}
       FROM rounds r
       JOIN seed_pairs sp ON sp.id = r.seed_pair_id
       JOIN bets b ON b.id = r.bet_id AND b.operator_id = r.operator_id
      WHERE r.operator_id = $1 AND r.id = $2`,
    [operatorId, roundId],
  );
  return rows;
}

/** rounds ⋈ seed_pairs ⋈ bets: a player's rounds newest first (rounds_operator_player_created), `limit` rows before `cursor`. */
export async function selectPlayerRounds(
  db: Queryable,
  operatorId: string,
  playerId: string,
  limit: number,
  cursor: readonly [string, string] | undefined,
): Promise<RecalledRoundRow[]> {
  const params: unknown[] = [operatorId, playerId, limit];
  let after = '';
  if (cursor !== undefined) {
    params.push(...cursor);
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
  return rows;
}
