import { randomUUID } from 'node:crypto';
import type { BetEventType } from '../../../machines/bet.machine.ts';
import type { EventType } from '../events/service.ts';
import type { WalletCallKind } from '../wallet/transaction-ids.ts';

/** The facts about a bet that every bet event carries (SPEC §7: data.betId and data.playerId). */
export interface BetFacts {
  betId: string;
  playerId: string;
  roundId: string;
  amount: number;
  payout: number;
  currency: string;
}

/** The wallet call a transition reports, if any. */
export interface WalletCallReport {
  kind: WalletCallKind;
  transactionId: string;
  amount: number;
  result: 'applied' | 'refused' | 'unknown';
  code?: string;
  error?: string;
}

/** One event row a bet statement inserts (its seq and operator come from the statement). */
export interface BetEventRow {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

function dataFor(type: EventType, bet: BetFacts, call: WalletCallReport | undefined): Record<string, unknown> {
  const base = { betId: bet.betId, playerId: bet.playerId, roundId: bet.roundId, amount: bet.amount, currency: bet.currency };
  const callFacts = call ? { transactionId: call.transactionId, ...(call.code && { code: call.code }), ...(call.error && { error: call.error }) } : {};
  switch (type) {
    case 'wallet.debited':
    case 'wallet.debit_failed':
    case 'wallet.rolled_back':
      return { ...base, ...callFacts };
    case 'wallet.credited':
    case 'wallet.credit_failed':
      return { ...base, ...callFacts, amount: bet.payout };
    case 'bet.won':
    case 'settlement.deferred':
    case 'settlement.completed':
      return { ...base, payout: bet.payout };
    case 'bet.rejected':
      return { ...base, reason: call?.code ?? null };
    default:
      return base;
  }
}

/** The rows of a transition's events, in the order the machine emitted them. */
export function betEventRows(types: (BetEventType | 'round.created')[], bet: BetFacts, call?: WalletCallReport, extra: Partial<Record<string, Record<string, unknown>>> = {}): BetEventRow[] {
  return types.map((type) => ({ id: randomUUID(), type, data: { ...dataFor(type as EventType, bet, call), ...extra[type] } }));
}
