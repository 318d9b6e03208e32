import type { Logger } from 'pino';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Db, Queryable } from '../../shared/db.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import { isMoneyDecided } from '../../../machines/bet.machine.ts';
import { placeBet, type BetIds, type Placement } from './placement.ts';
import { createPlacementStatements } from './placement-statements.ts';
import type { BetRuntime } from './runtime.ts';
import { betResponseWaitsTotal, type BetWatch, type DecidedBets, type WaitEnd } from './decided-bets.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { betRecordOf, toBetView, type BetRecord, type BetView } from './bet-view.ts';
import { findBet, findBetRecord, isSeedPairRevealed, listBetRecords, selectHasUnsettledBet } from './store.ts';
import type { ListBetsQuery, PlaceBetInput } from './schemas.ts';

/** How often a repeat of a running request reads its bet again (awaitRepeat). */
const REPEAT_READ_MS = 200;

export interface BetsService {
  /**
   * SPEC §3: 201 once the player's money is decided, else 202 (the caller adds Location).
   * `games` is the operator's enabled games, each with its config in force: a bet on a
   * game not there is refused 403 GAME_DISABLED (placement.ts).
   */
  place(operatorId: string, games: ReadonlyMap<string, unknown>, input: PlaceBetInput, idempotencyKey: string, ids?: BetIds): Promise<{ status: 201 | 202; bet: BetView }>;
  /** The bet loaded as an entity in `em`, its machine restored from its snapshot. */
  get(em: EntityManager, operatorId: string, betId: string): Promise<BetView>;
  list(operatorId: string, query: ListBetsQuery): Promise<{ items: BetView[]; nextCursor: string | null }>;
  /** Settlements still running in this process after their response was sent. */
  drain(): Promise<void>;
}

export function createBetsService(deps: {
  db: Db;
  keyring: SecretsKeyring;
  runtime: BetRuntime;
  decidedBets: DecidedBets;
  logger: Logger;
  policy: RetryPolicy;
  responseWaitMs: number;
  eventsCommitted: () => void;
}): BetsService {
  const { db } = deps;
  const placementDeps = { db, policy: deps.policy, keyring: deps.keyring, statements: createPlacementStatements(db, deps.keyring) };
  const inFlight = new Set<Promise<unknown>>();

  async function load(operatorId: string, betId: string): Promise<BetRecord> {
    const bet = await findBetRecord(db, operatorId, betId);
    if (!bet) throw notFound('bet');
    return bet;
  }

  /** `promise`'s value, or undefined if `deadline` comes first. */
  async function byDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([promise, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits (until `deadline`) for the bet's money to be decided, whichever node or job
   * decides it: on this request's own first attempts, then on the announcement of the
   * runtime that decides it (decided-bets.ts). Postgres is read again only when another
   * node announced the decision, or for a repeated request, once after it starts watching.
   */
  async function awaitDecided(operatorId: string, placement: Placement, deadline: number): Promise<BetRecord> {
    let current = placement.bet;
    if (isMoneyDecided(current.status)) return ended(current, 'already_decided');
    const watch = deps.decidedBets.watch(current.id);
    try {
      if (placement.kind === 'placed') {
        deps.eventsCommitted();
        const settled = await byDeadline(settleInBackground(placement), deadline);
        if (settled) current = settled;
        if (isMoneyDecided(current.status)) return ended(current, 'settled_in_request');
      } else {
        // The first request's runner may have decided it after this request's read and before the watch began.
        current = await load(operatorId, current.id);
        if (isMoneyDecided(current.status)) return ended(current, 'already_decided');
        return await awaitRepeat(operatorId, current, watch, deadline);
      }
      const decided = await watch.until(deadline);
      if (decided === undefined) return ended(current, 'not_in_time');
      if (decided !== 'elsewhere') return ended(decided, 'decided_here');
      return ended(await load(operatorId, current.id), 'decided_elsewhere');
    } finally {
      watch.close();
    }
  }

  /**
   * A repeat of a request still running: the first request's node announces a decision
   * of its own attempts to itself only (decided-bets.ts), so a repeat sent to another node
   * also reads the bet again every REPEAT_READ_MS until the deadline.
   */
  async function awaitRepeat(operatorId: string, bet: BetRecord, watch: BetWatch, deadline: number): Promise<BetRecord> {
    let current = bet;
    for (;;) {
      const decided = await watch.until(Math.min(deadline, Date.now() + REPEAT_READ_MS));
      if (decided !== undefined && decided !== 'elsewhere') return ended(decided, 'decided_here');
      if (decided === undefined && Date.now() >= deadline) return ended(current, 'not_in_time');
      current = await load(operatorId, current.id);
      if (isMoneyDecided(current.status)) return ended(current, 'decided_elsewhere');
      if (decided === 'elsewhere') return ended(current, 'decided_elsewhere');
    }
  }

  function ended(bet: BetRecord, by: WaitEnd): BetRecord {
    betResponseWaitsTotal.inc({ ended_by: by });
    return bet;
  }

  /**
   * The first wallet attempts run here, right after commit; if this process dies, the
   * bet's due time in Postgres lets the sweeper on any node pick it up. They go on after
   * the response when it is sent first (202).
   */
  function settleInBackground(placement: Extract<Placement, { kind: 'placed' }>): Promise<BetRecord | undefined> {
    const settling = deps.runtime.settleInProcess(placement.bet, placement.effects).catch((error: unknown) => {
      deps.logger.error({ err: error, betId: placement.bet.id }, 'in-process settlement failed; the sweeper will resume it');
      return undefined;
    });
    inFlight.add(settling);
    void settling.finally(() => inFlight.delete(settling));
    return settling;
  }

  async function place(operatorId: string, games: ReadonlyMap<string, unknown>, input: PlaceBetInput, idempotencyKey: string, ids?: BetIds) {
    const deadline = Date.now() + deps.responseWaitMs;
    const placement = await placeBet(placementDeps, operatorId, games, input, idempotencyKey, ids);
    const bet = await awaitDecided(operatorId, placement, deadline);
    return { status: isMoneyDecided(bet.status) ? (201 as const) : (202 as const), bet: toBetView(bet) };
  }

  async function list(operatorId: string, query: ListBetsQuery) {
    const [cursorAt, cursorId] = query.cursor ?? [null, null];
    // One row more than the page: it tells whether there is a next page.
    const rows = await listBetRecords(db, operatorId, { playerId: query.playerId ?? null, status: query.status ?? null, cursorAt, cursorId, limit: query.limit + 1 });
    return toPage(rows, query.limit, toBetView, (row) => [row.cursor_at, row.id]);
  }

  return {
    place,
    get: async (em, operatorId, betId) => {
      const bet = await findBet(em, operatorId, betId);
      if (!bet) throw notFound('bet');
      return toBetView(betRecordOf(bet, await isSeedPairRevealed(em, operatorId, bet.round.seedPair.id)));
    },
    list,
    async drain() {
      await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * Whether one of the player's bets is unsettled (parked ones included), in the caller's
 * transaction: a seed rotation checks it once it holds the seed pair's lock.
 */
export async function hasUnsettledBet(db: Queryable, operatorId: string, playerId: string): Promise<boolean> {
  return selectHasUnsettledBet(db, operatorId, playerId);
}
