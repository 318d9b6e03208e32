import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Db } from '../../shared/db.ts';
import { inSpan } from '../../telemetry/spans.ts';
import { betSettlementSeconds, betsParkedTotal, walletCallsTotal, walletDebitCallsTotal, walletDebitFailuresTotal } from '../../shared/metrics.ts';
import { advanceBet } from '../../../machines/bet.runtime-api.ts';
import { isFinalBetStatus, isMoneyDecided, isParkedBetStatus, stepOf, type BetEffect, type BetEvent, type BetStatus } from '../../../machines/bet.machine.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { BetStepName } from '../../../queues/catalog.ts';
import type { OperatorsService } from '../operators/service.ts';
import type { WalletClient, WalletOutcome } from '../wallet/client.ts';
import type { WalletCallBounds } from '../wallet/operator-bounds.ts';
import { walletTransactionId } from '../wallet/transaction-ids.ts';
import type { WalletCallReport } from './bet-events.ts';
import type { BetRecord } from './bet-view.ts';
import { retryDelayMs, type RetryPolicy } from './retry-policy.ts';
import { recordUnansweredAttempt } from './transitions.ts';
import { findBetForStep } from './store.ts';
import { createTransitionWriter } from './transition-writer.ts';
import { deferAttempt } from './deferred-attempts.ts';

/**
 * Where an attempt comes from. The first debit attempt runs in the process that placed the
 * bet; any later one runs from a job, which exists only because an earlier attempt gave no
 * answer we could read (recorded as such, or lost with a node: the sweeper's job).
 */
type AttemptOrigin = 'in-process' | 'job';

export interface BetRuntime {
  /**
   * One attempt of a bet's wallet step, from a queue job or in process, then whatever
   * the machine wants done at once. Safe to run concurrently and repeatedly: wallet
   * transaction ids are deterministic and every transition is guarded by the bet's version.
   */
  runStep(step: BetStepName, operatorId: string, betId: string): Promise<BetRecord | undefined>;
  /** After placement commits: the first debit attempt (and a credit on a win) in process. */
  settleInProcess(bet: BetRecord, effects: BetEffect[]): Promise<BetRecord>;
}

export function createBetRuntime(deps: {
  db: Db;
  wallet: WalletClient;
  /** WALLET_CALLS_PER_OPERATOR: at most that many calls of one operator's wallet in flight on this node. */
  walletCalls: WalletCallBounds;
  operators: OperatorsService;
  enqueuer: Enqueuer;
  policy: RetryPolicy;
  logger: Logger;
  eventsCommitted: () => void;
  /**
   * After the commit that decided a bet's money (SPEC §3 201): requests waiting for it
   * answer. `inRequest`: decided by the first attempts of the POST /bets that placed it,
   * which waits on this node (decided-bets.ts: then no other node is told).
   */
  moneyDecided: (bet: BetRecord, inRequest: boolean) => void;
}): BetRuntime {
  const { db, policy, logger } = deps;
  const transitions = createTransitionWriter(db);

  async function callWallet(step: BetStepName, bet: BetRecord): Promise<WalletCallReport> {
    const endpoint = await deps.operators.walletEndpoint(bet.operator_id);
    const currency = bet.currency.trim();
    const debitTransactionId = walletTransactionId(bet.id, 'debit');
    const transactionId = walletTransactionId(bet.id, step);
    let outcome: WalletOutcome;
    let amount: number;
    if (step === 'debit') {
      amount = bet.amount;
      walletDebitCallsTotal.inc();
      outcome = await deps.wallet.call(endpoint, 'debit', {
        transactionId,
        playerId: bet.player_id,
        currency,
        amount,
        betId: bet.id,
        roundId: bet.round_id,
      });
      if (outcome.kind !== 'applied') walletDebitFailuresTotal.inc();
    } else if (step === 'credit') {
      amount = bet.payout;
      outcome = await deps.wallet.call(endpoint, 'credit', {
        transactionId,
        debitTransactionId,
        playerId: bet.player_id,
        currency,
        amount,
        betId: bet.id,
        roundId: bet.round_id,
      });
    } else {
      amount = bet.amount;
      outcome = await deps.wallet.call(endpoint, 'rollback', {
        transactionId,
        debitTransactionId,
        playerId: bet.player_id,
        currency,
        amount,
        betId: bet.id,
      });
    }
    walletCallsTotal.inc({ kind: step, outcome: outcome.kind });
    return {
      kind: step,
      transactionId,
      amount,
      result: outcome.kind,
      ...(outcome.kind === 'refused' && { code: outcome.code }),
      ...(outcome.kind === 'unknown' && { error: outcome.error }),
    };
  }

  /**
   * The machine event a wallet answer is, or undefined while a debit is still within its
   * retry bound. `afterUnknown`: an earlier attempt of this call may have reached the wallet
   * without an answer we could read. Every answered debit attempt moves the bet out of
   * `debiting` (applied or refused), so a debit attempt after the first, or one from a job
   * (see AttemptOrigin), follows an unknown one.
   */
  function eventFor(step: BetStepName, call: WalletCallReport, attempt: number, afterUnknown: boolean): BetEvent | undefined {
    const at = Date.now();
    const error = call.error ?? call.code ?? 'unknown';
    const code = call.code ?? 'REFUSED';
    if (step === 'debit') {
      if (call.result === 'applied') return { type: 'DEBIT_SUCCEEDED', at };
      if (call.result === 'refused') return { type: 'DEBIT_REFUSED', at, code, afterUnknown };
      return attempt >= policy.debitAttempts ? { type: 'DEBIT_FAILED', at, error } : undefined;
    }
    if (step === 'credit') {
      if (call.result === 'applied') return { type: 'CREDIT_SUCCEEDED', at };
      return call.result === 'refused' ? { type: 'CREDIT_REFUSED', at, code } : { type: 'CREDIT_FAILED', at, error };
    }
    return call.result === 'applied' ? { type: 'ROLLBACK_SUCCEEDED', at } : { type: 'ROLLBACK_FAILED', at, error };
  }

  /** When the next effect of a newly entered state is due (null: nothing automatic is left). */
  function nextAttemptAt(status: BetStatus, effects: BetEffect[]): Date | null {
    if (isFinalBetStatus(status) || isParkedBetStatus(status)) return null;
    const request = effects.find((effect) => effect.type !== 'alertParked');
    const attempt = request && 'attempt' in request.params ? request.params.attempt : 1;
    const delay = attempt <= 1 ? 0 : retryDelayMs(policy, attempt);
    return new Date(Date.now() + delay + policy.leaseMs);
  }

  async function enqueueSafely(step: BetStepName, bet: BetRecord, attempt: number, delayMs: number): Promise<void> {
    // If Redis is down the bet keeps its due time in Postgres and the sweeper enqueues it later.
    await deps.enqueuer.enqueue(step, { operatorId: bet.operator_id, betId: bet.id, attempt }, { delayMs }).catch((error: unknown) => {
      logger.warn({ err: error, betId: bet.id, step, attempt }, 'enqueue failed; the sweeper will retry');
    });
  }

  /** `inRequest`: run by POST /bets (its wallet calls may wait for a place), else by a queue job. */
  async function perform(bet: BetRecord, effects: BetEffect[], inRequest: boolean): Promise<BetRecord> {
    let current = bet;
    for (const effect of effects) {
      if (effect.type === 'alertParked') {
        betsParkedTotal.inc();
        logger.error({ ...effect.params }, 'bet parked for manual resolution');
        continue;
      }
      const step: BetStepName = effect.type === 'requestDebit' ? 'debit' : effect.type === 'requestCredit' ? 'credit' : 'rollback';
      if (step === 'debit' && effect.params.attempt > 1) continue; // debit retries are scheduled by `attempt`
      if (effect.params.attempt <= 1) {
        current = (await attempt(step, current, 0, 'in-process', inRequest)) ?? current;
      } else {
        await enqueueSafely(step, bet, effect.params.attempt, retryDelayMs(policy, effect.params.attempt));
      }
    }
    return current;
  }

  async function attempt(step: BetStepName, bet: BetRecord, previousAttempts: number, origin: AttemptOrigin, inRequest: boolean): Promise<BetRecord | undefined> {
    if (stepOf(bet.status) !== step) return bet;
    const afterUnknown = previousAttempts > 0 || origin === 'job';
    // SPEC §9: one span per wallet attempt, holding the call, the transition it led to and
    // whatever the new state does next in this process (a rollback after a failed debit).
    return inSpan(step === 'debit' ? 'bet.debit' : 'bet.settle', (span) => attemptInSpan(span, step, bet, previousAttempts + 1, afterUnknown, inRequest));
  }

  /** The wallet call of one attempt, within the operator's bound; undefined when it got no place and was deferred. */
  async function boundedCall(step: BetStepName, bet: BetRecord, attemptNumber: number, inRequest: boolean): Promise<WalletCallReport | undefined> {
    const bounds = deps.walletCalls;
    const release = bounds.take(bet.operator_id) ?? (inRequest ? await bounds.wait(bet.operator_id) : undefined);
    if (!release) {
      bounds.deferred(bet.operator_id);
      await deferAttempt({ db, enqueuer: deps.enqueuer, logger, leaseMs: policy.leaseMs }, { step, bet, attempt: attemptNumber, delayMs: bounds.retryDelayMs() });
      return undefined;
    }
    try {
      return await callWallet(step, bet);
    } finally {
      release();
    }
  }

  async function attemptInSpan(span: Span, step: BetStepName, bet: BetRecord, attemptNumber: number, afterUnknown: boolean, inRequest: boolean): Promise<BetRecord | undefined> {
    span.setAttribute('rgs.bet.id', bet.id);
    span.setAttribute('rgs.bet.step', step);
    span.setAttribute('rgs.bet.attempt', attemptNumber);
    const call = await boundedCall(step, bet, attemptNumber, inRequest);
    if (!call) {
      span.setAttribute('rgs.wallet.result', 'deferred');
      return bet;
    }
    span.setAttribute('rgs.wallet.result', call.result);
    const event = eventFor(step, call, attemptNumber, afterUnknown);
    if (!event) {
      const delay = retryDelayMs(policy, attemptNumber + 1);
      await recordUnansweredAttempt(db, { bet, call, attempt: attemptNumber, nextAttemptAt: new Date(Date.now() + delay + policy.leaseMs) });
      await enqueueSafely(step, bet, attemptNumber + 1, delay);
      return bet;
    }
    const next = advanceBet(bet.snapshot, event);
    if (!next.changed) {
      // e.g. a parked bet whose forced rollback or credit failed again: record the attempt only.
      await recordUnansweredAttempt(db, { bet, call, attempt: attemptNumber, nextAttemptAt: new Date(Date.now() + policy.maxMs) });
      return bet;
    }
    const updated = await transitions.persist({ bet, step: next, call, attempt: attemptNumber, nextAttemptAt: nextAttemptAt(next.status, next.effects) });
    if (!updated) return undefined; // another runner advanced this bet first
    span.setAttribute('rgs.bet.status', updated.status);
    deps.eventsCommitted();
    if (isMoneyDecided(updated.status) && !isMoneyDecided(bet.status)) deps.moneyDecided(updated, inRequest);
    if (isFinalBetStatus(updated.status)) {
      betSettlementSeconds.observe({ status: updated.status }, (Date.now() - updated.created_at.getTime()) / 1000);
    }
    // Effects only after the commit that decided them: a credit must never go out for a
    // debit success this runner could not record (another runner may have rolled it back).
    return perform(updated, next.effects, inRequest);
  }

  async function runStep(step: BetStepName, operatorId: string, betId: string): Promise<BetRecord | undefined> {
    const loaded = await findBetForStep(db, operatorId, betId, walletTransactionId(betId, step));
    if (!loaded) return undefined;
    const { step_attempts: previousAttempts, ...bet } = loaded;
    return attempt(step, bet, previousAttempts, 'job', false);
  }

  return {
    runStep,
    settleInProcess: (bet, effects) => perform(bet, effects, true),
  };
}
