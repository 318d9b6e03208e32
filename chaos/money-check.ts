// SPEC §10.1 from three independent sources: the wallet mock's ledger (what the wallet
// did), the RGS's record of its wallet calls (GET /transactions) and each bet's final
// state (what the player was told). Pure: the caller fetches, this compares.

import type { LedgerItem as WalletLedgerItem } from '../walletmock/ledger.ts';

/** The ledger fields the check reads (the wallet mock's GET /__ledger items). */
export type LedgerItem = Pick<WalletLedgerItem, 'transactionId' | 'kind' | 'operatorId' | 'playerId' | 'amount' | 'betId' | 'status'>;

export interface RecordedTransaction {
  kind: 'debit' | 'credit' | 'rollback';
  betId: string;
  amount: number;
  status: 'pending' | 'applied' | 'refused' | 'failed';
}

export interface BetRow {
  id: string;
  operator_id: string;
  player_id: string;
  status: string;
  amount: number;
  payout: number;
}

export interface PlayerBalance {
  operatorId: string;
  playerId: string;
  startBalance: number;
  /** The wallet's balance now (GET /wallet/balance/:playerId?operatorId=). */
  balance: number;
}

export interface MoneyReport {
  /** Σ over (operator, player) of |balance − by the ledger| + |balance − by the RGS records|. */
  delta: number;
  /** Applied wallet transactions beyond the first of their bet and kind, in either source. */
  doubleApplied: number;
  mismatchedBets: string[];
  mismatchedPlayers: string[];
  /** Ledger transactions of bets the RGS does not know. */
  strangers: string[];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** What wallet transactions did to a balance, by the wallet's ledger (a rolled-back debit moved nothing). */
function ledgerNet(items: readonly LedgerItem[]): number {
  let net = 0;
  for (const item of items) {
    if (item.kind === 'debit' && item.status === 'applied') net -= item.amount;
    if (item.kind === 'credit' && item.status === 'applied') net += item.amount;
  }
  return net;
}

/** The same for one bet, by the RGS's own record of its wallet calls. */
function recordedNet(transactions: readonly RecordedTransaction[]): number {
  const applied = (kind: RecordedTransaction['kind']) => transactions.find((tx) => tx.kind === kind && tx.status === 'applied');
  const debit = applied('debit');
  const credit = applied('credit');
  return (debit && !applied('rollback') ? -debit.amount : 0) + (credit ? credit.amount : 0);
}

/** The same for one bet, by its final state; undefined while it is not final. */
function outcomeNet(bet: BetRow): number | undefined {
  if (bet.status === 'won') return bet.payout - bet.amount;
  if (bet.status === 'lost') return -bet.amount;
  if (bet.status === 'rejected' || bet.status === 'cancelled') return 0;
  return undefined;
}

export function checkMoney(input: {
  bets: readonly BetRow[];
  ledger: readonly LedgerItem[];
  recorded: readonly RecordedTransaction[];
  players: readonly PlayerBalance[];
}): MoneyReport {
  const report: MoneyReport = { delta: 0, doubleApplied: 0, mismatchedBets: [], mismatchedPlayers: [], strangers: [] };
  const betIds = new Set(input.bets.map((bet) => bet.id));
  report.strangers = input.ledger.filter((item) => !betIds.has(item.betId)).map((item) => item.transactionId);
  const ledgerByBet = groupBy(input.ledger, (item) => item.betId);
  const recordedByBet = groupBy(input.recorded, (tx) => tx.betId);

  for (const bet of input.bets) {
    const items = ledgerByBet.get(bet.id) ?? [];
    const recorded = recordedByBet.get(bet.id) ?? [];
    for (const kind of ['debit', 'credit', 'rollback'] as const) {
      const moved = items.filter((item) => item.kind === kind && (item.status === 'applied' || item.status === 'rolled_back'));
      report.doubleApplied += Math.max(0, moved.length - 1);
      report.doubleApplied += Math.max(0, recorded.filter((tx) => tx.kind === kind && tx.status === 'applied').length - 1);
    }
    const wallet = ledgerNet(items);
    const byRecords = recordedNet(recorded);
    const outcome = outcomeNet(bet);
    if (wallet !== byRecords || (outcome !== undefined && wallet !== outcome)) {
      report.mismatchedBets.push(`${bet.id} (${bet.status}: wallet ${wallet}, RGS records ${byRecords}, outcome ${outcome ?? '-'})`);
    }
  }

  // SPEC §10.1 per player, and a player is an operator's: the wallet keeps p1 of operator A
  // and p1 of operator B apart, and so does the check.
  const ledgerByPlayer = groupBy(input.ledger, (item) => `${item.operatorId}/${item.playerId}`);
  const betsByPlayer = groupBy(input.bets, (bet) => `${bet.operator_id}/${bet.player_id}`);
  for (const player of input.players) {
    const byLedger = player.startBalance + ledgerNet(ledgerByPlayer.get(`${player.operatorId}/${player.playerId}`) ?? []);
    const byRecords =
      player.startBalance + (betsByPlayer.get(`${player.operatorId}/${player.playerId}`) ?? []).reduce((sum, bet) => sum + recordedNet(recordedByBet.get(bet.id) ?? []), 0);
    const delta = Math.abs(player.balance - byLedger) + Math.abs(player.balance - byRecords);
    report.delta += delta;
    if (delta) report.mismatchedPlayers.push(`${player.operatorId}/${player.playerId}: balance ${player.balance}, ledger says ${byLedger}, RGS records say ${byRecords}`);
  }
  return report;
}
