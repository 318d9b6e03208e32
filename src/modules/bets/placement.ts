import { randomUUID } from 'node:crypto';
import type { Db, DbClient } from '../../shared/db.ts';
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

interface LockedContext {
  existing: { id: string; request_hash: string } | null;
  session: { player_id: string; currency: string; jurisdiction: string; status: string; unexpired: boolean } | null;
  seed: { id: string; server_seed: string; server_seed_hash: string; client_seed: string; nonce: number } | null;
  limits: { blocked_jurisdictions: string[]; currencies: Record<string, CurrencyLimits> } | null;
}

// Hot statements are named (prepared once per connection): parsing and planning these
// CTEs on every bet costs Postgres more than running them.
// One round trip: the repeat check, the session, the operator's limits, and the player's
// next nonce — taking the seed pair's row lock, which serialises the player's bets on
// every node until commit (SPEC §4), so nonces and daily totals cannot be raced.
const LOCK_PLAYER_AND_READ = `
WITH existing AS (
  SELECT id, request_hash FROM bets WHERE operator_id = $1 AND idempotency_key = $2
), s AS (
  SELECT player_id, currency, jurisdiction, status, expires_at > now() AS unexpired
    FROM sessions WHERE operator_id = $1 AND token = $3
), seed AS (
  UPDATE seed_pairs sp SET next_nonce = sp.next_nonce + 1
    FROM s
   WHERE sp.operator_id = $1 AND sp.player_id = s.player_id AND sp.active
     AND s.status = 'active' AND s.unexpired AND NOT EXISTS (SELECT 1 FROM existing)
  RETURNING sp.id, sp.server_seed, sp.server_seed_hash, sp.client_seed, sp.next_nonce - 1 AS nonce
)
SELECT (SELECT row_to_json(existing) FROM existing) AS existing,
       (SELECT row_to_json(s) FROM s) AS session,
       (SELECT row_to_json(seed) FROM seed) AS seed,
       (SELECT row_to_json(l) FROM (SELECT blocked_jurisdictions, currencies FROM operator_limits WHERE operator_id = $1) l) AS limits`;

// One round trip: bet, round, debit transaction, events, audit row and the day's totals.
// A concurrent repeat of the same Idempotency-Key makes the bet insert do nothing, and
// with it everything else.
const INSERT_BET = `
WITH bet AS (
  INSERT INTO bets (id, operator_id, player_id, session_token, round_id, idempotency_key, request_hash, currency,
                    amount, payout, game, params, status, snapshot, history, next_attempt_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'dice', $11, $12, $13, $14, now() + make_interval(secs => $15))
  ON CONFLICT (operator_id, idempotency_key) DO NOTHING
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
  RETURNING staked, returned
)
SELECT bet.id, bet.created_at, totals.staked, totals.returned FROM bet, totals`;

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
  constructor(readonly error: DomainError) {
    super(error.message);
  }
}

async function loadBet(db: DbClient, operatorId: string, betId: string): Promise<BetRecord> {
  const { rows } = await db.query<BetRecord>(`${SELECT_BET_RECORD} WHERE b.operator_id = $1 AND b.id = $2`, [operatorId, betId]);
  if (!rows[0]) throw notFound('bet');
  return rows[0];
}

async function replay(db: DbClient, operatorId: string, existing: { id: string; request_hash: string }, hash: string): Promise<Placement> {
  if (existing.request_hash !== hash) throw idempotencyKeyReused();
  return { kind: 'existing', bet: await loadBet(db, operatorId, existing.id) };
}

/**
 * SPEC §4 placement, in order: idempotency → session → compliance → provably-fair
 * outcome → round + bet in one transaction under the player's lock. The debit is the
 * caller's to run after commit (never inside a transaction).
 */
export function placeBet(deps: { db: Db; policy: RetryPolicy }, operatorId: string, input: PlaceBetInput, idempotencyKey: string): Promise<Placement> {
  return inSpan('bet.place', async (span) => {
    span.setAttribute('rgs.operator.id', operatorId);
    const placement = await placeUnderLock(deps, operatorId, input, idempotencyKey);
    span.setAttribute('rgs.bet.id', placement.bet.id);
    span.setAttribute('rgs.bet.status', placement.bet.status);
    span.setAttribute('rgs.bet.replayed', placement.kind === 'existing');
    return placement;
  });
}

async function placeUnderLock(
  deps: { db: Db; policy: RetryPolicy },
  operatorId: string,
  input: PlaceBetInput,
  idempotencyKey: string,
): Promise<Placement> {
  const hash = requestHash(input);
  const payoutOnWin = payoutOrRefuse(input);
  for (let attempt = 0; ; attempt++) {
    const client = await deps.db.connect();
    let sessionPlayer: string | undefined;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<LockedContext>({ name: 'bet-lock-player', text: LOCK_PLAYER_AND_READ, values: [operatorId, idempotencyKey, input.sessionToken] });
      const locked = rows[0]!;
      if (locked.existing) {
        await client.query('ROLLBACK');
        return await replay(client, operatorId, locked.existing, hash);
      }
      const session = locked.session;
      if (!session) throw notFound('session');
      sessionPlayer = session.player_id;
      if (session.status === 'revoked') throw new Refusal(refusals.sessionRevoked());
      if (!session.unexpired) throw new Refusal(refusals.sessionExpired());
      const limits = locked.limits;
      if (limits?.blocked_jurisdictions.includes(session.jurisdiction)) throw new Refusal(refusals.jurisdictionBlocked(session.jurisdiction));
      const currencyLimits = limits?.currencies[session.currency] ?? {};
      if (currencyLimits.maxBet !== undefined && input.amount > currencyLimits.maxBet) {
        throw new Refusal(refusals.maxBetExceeded(currencyLimits.maxBet));
      }
      const seed = locked.seed;
      if (!seed) {
        // The seed pair was rotated while we waited for its lock: take the new one.
        await client.query('ROLLBACK');
        if (attempt < 3) continue;
        throw new DomainError(503, 'SEED_ROTATING', 'Try again', 'the player seed pair is being rotated');
      }

      const roll = rollDice(seed.server_seed, seed.client_seed, seed.nonce);
      const { win, payout } = settleDice({ amount: input.amount, params: input.params, roll, config: DEFAULT_DICE_CONFIG });
      const betId = randomUUID();
      const roundId = randomUUID();
      const step = startBet({ betId, amount: input.amount, payout: win ? payoutOnWin : 0, win, parkAfterMs: deps.policy.parkAfterMs });
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
      const inserted = await client.query<{ id: string; created_at: Date; staked: number; returned: number }>({ name: 'bet-insert', text: INSERT_BET, values: [
        betId,
        operatorId,
        session.player_id,
        input.sessionToken,
        roundId,
        idempotencyKey,
        hash,
        session.currency,
        input.amount,
        payout,
        JSON.stringify(input.params),
        step.status,
        JSON.stringify(step.persisted),
        JSON.stringify(history),
        deps.policy.leaseMs / 1000,
        seed.id,
        DICE_GAME_VERSION,
        JSON.stringify(DEFAULT_DICE_CONFIG),
        seed.server_seed_hash,
        seed.client_seed,
        seed.nonce,
        JSON.stringify(outcome),
        walletTransactionId(betId, 'debit'),
        at,
        events.ids,
        events.types,
        events.data,
        JSON.stringify({ amount: input.amount, currency: session.currency, game: 'dice', params: input.params, nonce: seed.nonce }),
      ] });
      const placed = inserted.rows[0];
      if (!placed) {
        // A concurrent request with the same key committed first: answer with its bet.
        await client.query('ROLLBACK');
        const { rows: found } = await client.query<{ id: string; request_hash: string }>(
          'SELECT id, request_hash FROM bets WHERE operator_id = $1 AND idempotency_key = $2',
          [operatorId, idempotencyKey],
        );
        if (!found[0]) throw refusals.requestInProgress();
        return await replay(client, operatorId, found[0], hash);
      }
      // SPEC §8 daily limits on today's totals including this stake (open stakes count as lost).
      if (currencyLimits.dailyLossLimit !== undefined && placed.staked - placed.returned > currencyLimits.dailyLossLimit) {
        throw new Refusal(refusals.dailyLossLimit(currencyLimits.dailyLossLimit));
      }
      if (currencyLimits.dailyWinLimit !== undefined && placed.returned - (placed.staked - input.amount) >= currencyLimits.dailyWinLimit) {
        throw new Refusal(refusals.dailyWinLimit(currencyLimits.dailyWinLimit));
      }
      await client.query('COMMIT');
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
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof Refusal) {
        // SPEC §8: a refused bet is counted and audited, and never reaches the wallet.
        betsRefusedTotal.inc({ code: error.error.code });
        // On the same connection: taking a second one while holding this could exhaust the pool.
        await appendAudit(client, [
          {
            operatorId,
            actor: 'operator',
            action: 'bet.refused',
            playerId: sessionPlayer ?? null,
            data: { code: error.error.code, amount: input.amount, sessionToken: input.sessionToken, idempotencyKey },
          },
        ]);
        throw error.error;
      }
      throw error;
    } finally {
      client.release();
    }
  }
}
