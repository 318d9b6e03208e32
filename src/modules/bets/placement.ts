import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { withTransaction, type Db, type Queryable } from '../../shared/db.ts';
import { requestHash } from '../../shared/request-hash.ts';
import { inSpan } from '../../telemetry/spans.ts';
import { betsPlacedTotal, betsRefusedTotal } from '../../shared/metrics.ts';
import { DomainError, notFound } from '../../http/errors.ts';
import { startBet } from '../../../machines/bet.runtime-api.ts';
import type { BetEffect } from '../../../machines/bet.machine.ts';
import { appendAudit } from '../audit/service.ts';
import type { CurrencyLimits } from '../compliance/entity.ts';
import { DEFAULT_DICE_CONFIG, DICE_GAME_VERSION, dicePayoutOnWin, rollDice, settleDice } from '../fairness/dice.ts';
import { PayoutTooLargeError } from '../fairness/errors.ts';
import { idempotencyKeyReused } from '../idempotency/service.ts';
import { walletTransactionId } from '../wallet/transaction-ids.ts';
import { betEventRows } from './bet-events.ts';
import * as refusals from './bet-errors.ts';
import { SELECT_BET_RECORD, type BetRecord } from './bet-view.ts';
import type { PlaceBetInput } from './schemas.ts';
import type { RetryPolicy } from './retry-policy.ts';

export type Placement = { kind: 'placed'; bet: BetRecord; effects: BetEffect[] } | { kind: 'existing'; bet: BetRecord };

interface PlayerContext {
  existing: { id: string; request_hash: string } | null;
  session: { player_id: string; currency: string; jurisdiction: string; status: string; unexpired: boolean } | null;
  seed: { id: string; server_seed: string; server_seed_hash: string; client_seed: string; nonce: number } | null;
  limits: { blocked_jurisdictions: string[]; currencies: Record<string, CurrencyLimits> } | null;
}

// Hot statements are named (prepared once per connection): parsing and planning these
// CTEs on every bet costs Postgres more than running them.
//
// Per player, bets are serialised (SPEC §4) by a compare-and-set on the seed pair's next
// nonce: a bet is written only if the nonce it was drawn from is still the pair's next
// one, in the same statement that advances it. So a placement normally takes two round
// trips and no explicit transaction: READ_PLAYER, then INSERT_BET. When another bet of
// the player got in between, the placement is redone under the pair's row lock
// (READ_PLAYER_LOCKED inside a transaction), where the compare-and-set cannot miss and
// concurrent bets of one player queue instead of retrying against each other.
const readPlayer = (lock: string) => `
WITH existing AS (
  SELECT id, request_hash FROM bets WHERE operator_id = $1 AND idempotency_key = $2
), s AS (
  SELECT player_id, currency, jurisdiction, status, expires_at > now() AS unexpired
    FROM sessions WHERE operator_id = $1 AND token = $3
), seed AS (
  SELECT sp.id, sp.server_seed, sp.server_seed_hash, sp.client_seed, sp.next_nonce AS nonce
    FROM seed_pairs sp JOIN s ON sp.player_id = s.player_id
   WHERE sp.operator_id = $1 AND sp.active ${lock}
)
SELECT (SELECT row_to_json(existing) FROM existing) AS existing,
       (SELECT row_to_json(s) FROM s) AS session,
       (SELECT row_to_json(seed) FROM seed) AS seed,
       (SELECT row_to_json(l) FROM (SELECT blocked_jurisdictions, currencies FROM operator_limits WHERE operator_id = $1) l) AS limits`;
const READ_PLAYER = readPlayer('');
const READ_PLAYER_LOCKED = readPlayer('FOR UPDATE OF sp');

// One round trip, one implicit transaction: the daily limits (SPEC §8, open stakes count
// as lost), the nonce compare-and-set, and then bet, round, debit transaction, events,
// audit row and the day's totals — or nothing at all. The limits read the day's totals
// as of this statement's start. Only settlements (adding to `returned`) can commit in
// between, since the player's other placements would have moved the nonce; so the
// check is exactly the one of a placement ordered before those settlements.
// A repeated Idempotency-Key fails the bet insert with a unique violation, which
// undoes the whole statement, the nonce included.
const INSERT_BET = `
WITH day AS (
  -- An aggregate over the (at most one) totals row: one row of zeros on the day's first bet.
  SELECT COALESCE(sum(staked), 0) AS staked, COALESCE(sum(returned), 0) AS returned
    FROM player_daily_totals
   WHERE operator_id = $2 AND player_id = $3 AND currency = $8 AND day = (now() AT TIME ZONE 'UTC')::date
), refusal AS (
  SELECT CASE
           WHEN $29::bigint IS NOT NULL AND day.staked + $9 - day.returned > $29 THEN 'DAILY_LOSS_LIMIT'
           WHEN $30::bigint IS NOT NULL AND day.returned - day.staked >= $30 THEN 'DAILY_WIN_LIMIT'
         END AS code
    FROM day
), nonce AS (
  UPDATE seed_pairs SET next_nonce = next_nonce + 1
   WHERE id = $16 AND active AND next_nonce = $21 AND (SELECT code FROM refusal) IS NULL
  RETURNING id
), bet AS (
  INSERT INTO bets (id, operator_id, player_id, session_token, round_id, idempotency_key, request_hash, currency,
                    amount, payout, game, params, status, snapshot, history, next_attempt_at)
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'dice', $11, $12, $13, $14, now() + make_interval(secs => $15) FROM nonce
  RETURNING id, created_at
), round AS (
  INSERT INTO rounds (id, operator_id, player_id, bet_id, seed_pair_id, game, game_version, config,
                      server_seed_hash, client_seed, nonce, outcome)
  SELECT $5, $2, $3, bet.id, $16, 'dice', $17, $18, $19, $20, $21, $22 FROM bet
), debit AS (
  INSERT INTO wallet_transactions (id, operator_id, bet_id, round_id, player_id, kind, currency, amount, next_attempt_at)
  SELECT $23, $2, bet.id, $5, $3, 'debit', $8, $9, now() + make_interval(secs => $15) FROM bet
), events AS (
  INSERT INTO events (id, operator_id, type, player_id, bet_id, data, occurred_at)
  SELECT e.id, $2, e.type, $3, bet.id, e.data, $24 FROM bet, unnest($25::uuid[], $26::text[], $27::jsonb[]) AS e(id, type, data)
), audit AS (
  INSERT INTO audit_log (operator_id, actor, action, player_id, bet_id, data)
  SELECT $2, 'operator', 'bet.placed', $3, bet.id, $28 FROM bet
), totals AS (
  INSERT INTO player_daily_totals AS t (operator_id, player_id, currency, day, staked)
  SELECT $2, $3, $8, (bet.created_at AT TIME ZONE 'UTC')::date, $9 FROM bet
  ON CONFLICT (operator_id, player_id, currency, day) DO UPDATE SET staked = t.staked + EXCLUDED.staked
)
SELECT refusal.code AS refusal, bet.id, bet.created_at FROM refusal LEFT JOIN bet ON true`;

/** Postgres' name for the unique constraint that makes an Idempotency-Key one bet. */
const IDEMPOTENCY_CONSTRAINT = 'bets_operator_id_idempotency_key_key';

function isIdempotencyKeyTaken(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23505' && error.constraint === IDEMPOTENCY_CONSTRAINT;
}

/** Checked before any lock: a payout that could not be paid is a bad request. */
function payoutOrRefuse(input: PlaceBetInput): number {
  try {
    return dicePayoutOnWin(input.amount, input.params, DEFAULT_DICE_CONFIG);
  } catch (error) {
    if (error instanceof PayoutTooLargeError) throw new DomainError(400, error.code, 'Payout too large', error.detail);
    throw error;
  }
}

class Refusal extends Error {
  constructor(
    readonly error: DomainError,
    readonly playerId: string | null,
  ) {
    super(error.message);
  }
}

async function loadBet(db: Queryable, operatorId: string, betId: string): Promise<BetRecord> {
  const { rows } = await db.query<BetRecord>(`${SELECT_BET_RECORD} WHERE b.operator_id = $1 AND b.id = $2`, [operatorId, betId]);
  if (!rows[0]) throw notFound('bet');
  return rows[0];
}

async function replay(db: Queryable, operatorId: string, existing: { id: string; request_hash: string }, hash: string): Promise<Placement> {
  if (existing.request_hash !== hash) throw idempotencyKeyReused();
  return { kind: 'existing', bet: await loadBet(db, operatorId, existing.id) };
}

/**
 * SPEC §4 placement, in order: idempotency → session → compliance → provably-fair
 * outcome → round + bet in one transaction, serialised per player. The debit is the
 * caller's to run after commit (never inside a transaction).
 */
export function placeBet(deps: { db: Db; policy: RetryPolicy }, operatorId: string, input: PlaceBetInput, idempotencyKey: string): Promise<Placement> {
  return inSpan('bet.place', async (span) => {
    span.setAttribute('rgs.operator.id', operatorId);
    const placement = await placeSerialised(deps, { operatorId, input, idempotencyKey, hash: requestHash(input), payoutOnWin: payoutOrRefuse(input) });
    span.setAttribute('rgs.bet.id', placement.bet.id);
    span.setAttribute('rgs.bet.status', placement.bet.status);
    span.setAttribute('rgs.bet.replayed', placement.kind === 'existing');
    return placement;
  });
}

interface PlacementRequest {
  operatorId: string;
  input: PlaceBetInput;
  idempotencyKey: string;
  hash: string;
  payoutOnWin: number;
}

/** The nonce moved on between reading and writing: read again. */
const RETRY = { kind: 'retry' } as const;

/** A first try without a lock, then under the seed pair's row lock (see READ_PLAYER). */
async function placeSerialised(deps: { db: Db; policy: RetryPolicy }, request: PlacementRequest): Promise<Placement> {
  let keyTaken = false;
  for (let attempt = 0; attempt < 4; attempt++) {
    keyTaken = false;
    try {
      const result =
        attempt === 0
          ? await attemptPlacement(deps.db, deps.policy, request, 'optimistic')
          : await withTransaction(deps.db, (client) => attemptPlacement(client, deps.policy, request, 'locked'));
      if (result.kind !== 'retry') return result;
    } catch (error) {
      if (error instanceof Refusal) {
        // SPEC §8: a refused bet is counted and audited, and never reaches the wallet.
        betsRefusedTotal.inc({ code: error.error.code });
        const { operatorId, input, idempotencyKey } = request;
        await appendAudit(deps.db, [
          {
            operatorId,
            actor: 'operator',
            action: 'bet.refused',
            playerId: error.playerId,
            data: { code: error.error.code, amount: input.amount, sessionToken: input.sessionToken, idempotencyKey },
          },
        ]);
        throw error.error;
      }
      // A concurrent request with the same key committed first: the next read answers with its bet.
      keyTaken = isIdempotencyKeyTaken(error);
      if (!keyTaken) throw error;
    }
  }
  // Only a seed pair rotated again and again while we waited, or a key whose bet we never get to see, ends here.
  if (keyTaken) throw refusals.requestInProgress();
  throw new DomainError(503, 'SEED_ROTATING', 'Try again', 'the player seed pair is being rotated');
}

async function attemptPlacement(
  db: Queryable,
  policy: RetryPolicy,
  request: PlacementRequest,
  mode: 'optimistic' | 'locked',
): Promise<Placement | typeof RETRY> {
  const { operatorId, input, idempotencyKey } = request;
  const { rows } = await db.query<PlayerContext>({
    name: mode === 'locked' ? 'bet-read-player-locked' : 'bet-read-player',
    text: mode === 'locked' ? READ_PLAYER_LOCKED : READ_PLAYER,
    values: [operatorId, idempotencyKey, input.sessionToken],
  });
  const context = rows[0]!;
  if (context.existing) return replay(db, operatorId, context.existing, request.hash);
  const session = context.session;
  if (!session) throw notFound('session');
  const refuse = (error: DomainError) => new Refusal(error, session.player_id);
  if (session.status === 'revoked') throw refuse(refusals.sessionRevoked());
  if (!session.unexpired) throw refuse(refusals.sessionExpired());
  const limits = context.limits;
  if (limits?.blocked_jurisdictions.includes(session.jurisdiction)) throw refuse(refusals.jurisdictionBlocked(session.jurisdiction));
  const currencyLimits = limits?.currencies[session.currency] ?? {};
  if (currencyLimits.maxBet !== undefined && input.amount > currencyLimits.maxBet) throw refuse(refusals.maxBetExceeded(currencyLimits.maxBet));
  const seed = context.seed;
  if (!seed) return RETRY; // the seed pair was rotated under us: take the new one

  const roll = rollDice(seed.server_seed, seed.client_seed, seed.nonce);
  const { win, payout } = settleDice({ amount: input.amount, params: input.params, roll, config: DEFAULT_DICE_CONFIG });
  const betId = randomUUID();
  const roundId = randomUUID();
  const step = startBet({ betId, amount: input.amount, payout: win ? request.payoutOnWin : 0, win, parkAfterMs: policy.parkAfterMs });
  const at = new Date().toISOString();
  const history = [{ state: step.status, at }];
  const facts = { betId, playerId: session.player_id, roundId, amount: input.amount, payout, currency: session.currency };
  const outcome = { roll: roll.roll, win };
  const events = betEventRows(['round.created', ...step.events], facts, undefined, {
    'round.created': {
      game: 'dice',
      gameVersion: DICE_GAME_VERSION,
      serverSeedHash: seed.server_seed_hash,
      clientSeed: seed.client_seed,
      nonce: seed.nonce,
    },
    'bet.placed': { game: 'dice', params: input.params },
  });
  const inserted = await db.query<{ refusal: 'DAILY_LOSS_LIMIT' | 'DAILY_WIN_LIMIT' | null; id: string | null; created_at: Date | null }>({
    name: 'bet-insert',
    text: INSERT_BET,
    values: [
      betId,
      operatorId,
      session.player_id,
      input.sessionToken,
      roundId,
      idempotencyKey,
      request.hash,
      session.currency,
      input.amount,
      payout,
      JSON.stringify(input.params),
      step.status,
      JSON.stringify(step.persisted),
      JSON.stringify(history),
      policy.leaseMs / 1000,
      seed.id,
      DICE_GAME_VERSION,
      JSON.stringify(DEFAULT_DICE_CONFIG),
      seed.server_seed_hash,
      seed.client_seed,
      seed.nonce,
      JSON.stringify(outcome),
      walletTransactionId(betId, 'debit'),
      at,
      events.map((event) => event.id),
      events.map((event) => event.type),
      events.map((event) => JSON.stringify(event.data)),
      JSON.stringify({ amount: input.amount, currency: session.currency, game: 'dice', params: input.params, nonce: seed.nonce }),
      currencyLimits.dailyLossLimit ?? null,
      currencyLimits.dailyWinLimit ?? null,
    ],
  });
  const placed = inserted.rows[0]!;
  if (placed.refusal === 'DAILY_LOSS_LIMIT') throw refuse(refusals.dailyLossLimit(currencyLimits.dailyLossLimit!));
  if (placed.refusal === 'DAILY_WIN_LIMIT') throw refuse(refusals.dailyWinLimit(currencyLimits.dailyWinLimit!));
  if (!placed.id || !placed.created_at) return RETRY;
  betsPlacedTotal.inc();
  return {
    kind: 'placed',
    effects: step.effects,
    bet: {
      id: betId,
      operator_id: operatorId,
      player_id: session.player_id,
      round_id: roundId,
      currency: session.currency,
      amount: input.amount,
      payout,
      game: 'dice',
      params: input.params,
      status: step.status,
      snapshot: step.persisted,
      version: 1,
      history,
      reject_reason: null,
      created_at: placed.created_at,
      settled_at: null,
      outcome,
      server_seed_hash: seed.server_seed_hash,
      client_seed: seed.client_seed,
      nonce: seed.nonce,
    },
  };
}
