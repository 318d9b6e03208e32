import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { withTransaction, type Db, type Queryable } from '../../shared/db.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { requestHash } from '../../shared/request-hash.ts';
import { inSpan } from '../../telemetry/spans.ts';
import { betsPlacedTotal, betsRefusedTotal } from '../../shared/metrics.ts';
import { DomainError, notFound, ValidationError } from '../../shared/errors.ts';
import { startBet } from '../../../machines/bet.runtime-api.ts';
import type { BetEffect } from '../../../machines/bet.machine.ts';
import { appendAudit } from '../audit/service.ts';
import { fairUint32 } from '../fairness/fair-bytes.ts';
import { PayoutTooLargeError } from '../fairness/errors.ts';
import { gameVersionLabel, ParamsNotAllowedError, settle, type Game } from '../../games/game.ts';
import { findGame } from '../../games/registry.ts';
import { idempotencyKeyReused } from '../idempotency/service.ts';
import { walletTransactionId } from '../wallet/transaction-ids.ts';
import { betEventRows } from './bet-events.ts';
import * as refusals from './bet-errors.ts';
import type { BetRecord } from './bet-view.ts';
import { lockedPlacementStatements, type PlacementStatements } from './placement-statements.ts';
import { findBetRecord, type BetInsert } from './store.ts';
import type { PlaceBetInput } from './schemas.ts';
import type { RetryPolicy } from './retry-policy.ts';

export type Placement = { kind: 'placed'; bet: BetRecord; effects: BetEffect[] } | { kind: 'existing'; bet: BetRecord };

/** Postgres' name for the unique constraint that makes an Idempotency-Key one bet. */
const IDEMPOTENCY_CONSTRAINT = 'bets_operator_id_idempotency_key_key';

function isIdempotencyKeyTaken(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code === '23505' && error.constraint === IDEMPOTENCY_CONSTRAINT;
}

/**
 * Checked before any lock and before the outcome is drawn: a payout that could not be paid,
 * or params the operator's config does not allow, is a bad request.
 */
function payoutOrRefuse(game: Game, input: PlaceBetInput, config: unknown): number {
  try {
    return game.payoutOnWin(input.amount, input.params, config);
  } catch (error) {
    if (error instanceof PayoutTooLargeError) throw new DomainError(400, error.code, 'Payout too large', error.detail);
    if (error instanceof ParamsNotAllowedError) throw new ValidationError([{ path: `body.params.${error.path}`, message: error.message }]);
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
  const bet = await findBetRecord(db, operatorId, betId);
  if (!bet) throw notFound('bet');
  return bet;
}

async function replay(db: Queryable, operatorId: string, existing: { id: string; request_hash: string }, hash: string): Promise<Placement> {
  if (existing.request_hash !== hash) throw idempotencyKeyReused();
  return { kind: 'existing', bet: await loadBet(db, operatorId, existing.id) };
}

export interface PlacementDeps {
  db: Db;
  policy: RetryPolicy;
  statements: PlacementStatements;
  /** Opens the sealed server seed the locked read returns. */
  keyring: SecretsKeyring;
}

/**
 * SPEC §4 placement, in order: idempotency → session → game enabled → compliance →
 * provably-fair outcome → round + bet in one transaction, serialised per player. The
 * debit is the caller's to run after commit (never inside a transaction). `games` is the
 * operator's enabled games, each with its config in force now (checked by the game's
 * schema); the round records the config.
 */
export function placeBet(
  deps: PlacementDeps,
  operatorId: string,
  games: ReadonlyMap<string, unknown>,
  input: PlaceBetInput,
  idempotencyKey: string,
  ids?: BetIds,
): Promise<Placement> {
  return inSpan('bet.place', async (span) => {
    span.setAttribute('rgs.operator.id', operatorId);
    const game = findGame(input.game);
    if (!game) throw new ValidationError([{ path: 'body.game', message: `unknown game "${input.game}"` }]);
    const config = games.get(game.id);
    const terms = games.has(game.id) ? { config, payoutOnWin: payoutOrRefuse(game, input, config) } : null;
    const placement = await placeSerialised(deps, { operatorId, input, idempotencyKey, hash: requestHash(input), game, terms, ids });
    span.setAttribute('rgs.bet.id', placement.bet.id);
    span.setAttribute('rgs.bet.status', placement.bet.status);
    span.setAttribute('rgs.bet.replayed', placement.kind === 'existing');
    return placement;
  });
}

/** The ids of a bet and its round, given only by `npm start`'s demo data (src/demo): the document's examples name them. */
export interface BetIds {
  betId: string;
  roundId: string;
}

interface PlacementRequest {
  operatorId: string;
  input: PlaceBetInput;
  idempotencyKey: string;
  hash: string;
  game: Game;
  /** The operator's config of the game and what a win pays under it; null when the operator has not enabled the game. */
  terms: { config: unknown; payoutOnWin: number } | null;
  ids: BetIds | undefined;
}

/** The nonce moved on between reading and writing: read again. */
const RETRY = { kind: 'retry' } as const;

// Per player, bets are serialised (SPEC §4) by a compare-and-set on the seed pair's next
// nonce: a bet is written only if the nonce it was drawn from is still the pair's next
// one, in the same statement that advances it. So a placement normally takes two round
// trips and no explicit transaction: a read, then the insert, each shared with the node's
// other placements of the moment (placement-statements.ts). When another bet of the
// player got in between, the placement is redone under the pair's row lock (the locked
// read inside a transaction), where the compare-and-set cannot miss and concurrent bets
// of one player queue instead of retrying against each other.

/** A first try without a lock, then under the seed pair's row lock. */
async function placeSerialised(deps: PlacementDeps, request: PlacementRequest): Promise<Placement> {
  let keyTaken = false;
  for (let attempt = 0; attempt < 4; attempt++) {
    keyTaken = false;
    try {
      const result =
        attempt === 0
          ? await attemptPlacement(deps.db, deps.policy, request, deps.statements)
          : await withTransaction(deps.db, (client) => attemptPlacement(client, deps.policy, request, lockedPlacementStatements(client, deps.keyring)));
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

/**
 * One try: read, decide in process, write. `statements` are the node's shared ones on the
 * normal path, or the locked read and a single insert on a transaction's connection.
 */
async function attemptPlacement(
  db: Queryable,
  policy: RetryPolicy,
  request: PlacementRequest,
  statements: PlacementStatements,
): Promise<Placement | typeof RETRY> {
  const { operatorId, input, idempotencyKey } = request;
  const context = await statements.readPlayer({ operatorId, idempotencyKey, sessionToken: input.sessionToken });
  if (context.existing) return replay(db, operatorId, context.existing, request.hash);
  const session = context.session;
  if (!session) throw notFound('session');
  const refuse = (error: DomainError) => new Refusal(error, session.player_id);
  if (session.status === 'revoked') throw refuse(refusals.sessionRevoked());
  if (!session.unexpired) throw refuse(refusals.sessionExpired());
  const { game, terms } = request;
  if (!terms) throw refuse(refusals.gameDisabled(game.id));
  const limits = context.limits;
  if (limits?.blocked_jurisdictions.includes(session.jurisdiction)) throw refuse(refusals.jurisdictionBlocked(session.jurisdiction));
  const currencyLimits = limits?.currencies[session.currency] ?? {};
  if (currencyLimits.maxBet !== undefined && input.amount > currencyLimits.maxBet) throw refuse(refusals.maxBetExceeded(currencyLimits.maxBet));
  const seed = context.seed;
  if (!seed) return RETRY; // the seed pair was rotated under us: take the new one

  const outcome = game.outcome(fairUint32(seed.server_seed, seed.client_seed, seed.nonce), input.params);
  const { win, payout } = settle(outcome, terms.payoutOnWin);
  const betId = request.ids?.betId ?? randomUUID();
  const roundId = request.ids?.roundId ?? randomUUID();
  const step = startBet({ betId, amount: input.amount, payout: win ? terms.payoutOnWin : 0, win, parkAfterMs: policy.parkAfterMs });
  const at = new Date().toISOString();
  const history = [{ state: step.status, at }];
  const facts = { betId, playerId: session.player_id, roundId, amount: input.amount, payout, currency: session.currency };
  const events = betEventRows(['round.created', ...step.events], facts, undefined, {
    'round.created': {
      game: game.id,
      gameVersion: gameVersionLabel(game),
      serverSeedHash: seed.server_seed_hash,
      clientSeed: seed.client_seed,
      nonce: seed.nonce,
    },
    'bet.placed': { game: game.id, params: input.params },
  });
  const bet: BetInsert = {
    bet_id: betId,
    operator_id: operatorId,
    player_id: session.player_id,
    session_token: input.sessionToken,
    round_id: roundId,
    idempotency_key: idempotencyKey,
    request_hash: request.hash,
    currency: session.currency,
    amount: input.amount,
    payout,
    params: input.params,
    status: step.status,
    snapshot: step.persisted,
    lease_seconds: policy.leaseMs / 1000,
    seed_pair_id: seed.id,
    game: game.id,
    game_version: gameVersionLabel(game),
    config: terms.config,
    server_seed_hash: seed.server_seed_hash,
    client_seed: seed.client_seed,
    nonce: seed.nonce,
    outcome,
    debit_tx: walletTransactionId(betId, 'debit'),
    occurred_at: at,
    events,
    audit: { amount: input.amount, currency: session.currency, game: game.id, params: input.params, nonce: seed.nonce },
    daily_loss_limit: currencyLimits.dailyLossLimit ?? null,
    daily_win_limit: currencyLimits.dailyWinLimit ?? null,
  };
  const placed = await statements.insertBet(bet);
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
      game: game.id,
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
      seed_revealed: false,
    },
  };
}
