import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RoundEntity } from './entity.ts';

// Every query of the rounds module. A round view joins its seed pair (the server seed once
// revealed) and its bet (whose status keeps the outcome secret) through the Round entity's
// read-side relations: documented read-only joins of the fairness and bets modules' tables,
// one statement per page instead of three. The bet is joined by its primary key
// (rounds.bet_id), and only the columns a view shows are selected (never a bet's snapshot).

const ROUND_FIELDS = [
  'id',
  'playerId',
  'game',
  'gameVersion',
  'config',
  'outcome',
  'serverSeedHash',
  'clientSeed',
  'nonce',
  'createdAt',
  // Shown only once revealed (round views check revealedAt): sealed until then (SPEC §11).
  'seedPair.serverSeed',
  'seedPair.revealedAt',
  'bet.id',
  'bet.status',
] as const;

const RECALLED_ROUND_FIELDS = [...ROUND_FIELDS, 'positionAt', 'bet.amount', 'bet.currency', 'bet.params', 'bet.payout'] as const;

/** rounds ⋈ seed_pairs ⋈ bets: one round of the operator, or null. */
export async function findRound(em: EntityManager, operatorId: string, roundId: string) {
  return em.findOne(RoundEntity, { id: roundId, operatorId, bet: { operatorId } }, { fields: ROUND_FIELDS, strategy: 'joined' });
}

/** A round as `GET /rounds/:id` reads it. */
export type RoundRead = NonNullable<Awaited<ReturnType<typeof findRound>>>;

/** rounds ⋈ seed_pairs ⋈ bets: a player's rounds newest first (rounds_operator_player_created), `limit` rows before `cursor`. */
export async function selectPlayerRounds(em: EntityManager, operatorId: string, playerId: string, limit: number, cursor: readonly [string, string] | undefined) {
  const rounds = await em.find(
    RoundEntity,
    {
      operatorId,
      playerId,
      bet: { operatorId },
      ...(cursor !== undefined && { [raw((alias) => `(${alias}.created_at, ${alias}.id)`)]: { $lt: raw('(?::timestamptz, ?::uuid)', cursor) } }),
    },
    { fields: RECALLED_ROUND_FIELDS, strategy: 'joined', orderBy: { createdAt: 'desc', id: 'desc' }, limit },
  );
  // positionAt is in the fields: every round read here has it.
  return rounds as (typeof rounds[number] & { positionAt: string })[];
}

/** A round as game recall reads it, with its page position. */
export type RecalledRoundRead = Awaited<ReturnType<typeof selectPlayerRounds>>[number];
