import test from 'ava';
import { DEFAULT_DICE_CONFIG } from '../../games/dice/dice.ts';
import { randomUUID } from 'node:crypto';
import { advanceBet } from '../../../machines/bet.runtime-api.ts';
import type { BetEvent } from '../../../machines/bet.machine.ts';
import { walletTransactionId } from '../wallet/transaction-ids.ts';
import { openBetsModule, type BetsModuleFixture } from '../../../test/support/bets-module.ts';
import { paramsFor } from '../../../test/support/bets.ts';
import type { WalletCallReport } from './bet-events.ts';
import type { BetRecord } from './bet-view.ts';
import { placeBet } from './placement.ts';
import type { PlaceBetInput } from './schemas.ts';
import { persistTransitions } from './transitions.ts';

// Bet transitions as the runtime persists them (transitions.ts over the store's
// PERSIST_TRANSITIONS), driven here by hand: the machine decides each step from a wallet
// result the test makes up, so no wallet, queue or node is involved.

let fixture: BetsModuleFixture;
test.before(async () => {
  fixture = await openBetsModule();
});
test.after.always(async () => {
  await fixture?.close();
});

/** A new bet of its own player, still `debiting`, that will win or lose. */
async function newBet(want: 'win' | 'lose'): Promise<BetRecord> {
  const playerId = `transitions-${randomUUID()}`;
  const sessionToken = await fixture.launch(playerId);
  const params = (await paramsFor(fixture.db, fixture.operatorId, playerId, want)) as PlaceBetInput['params'];
  const placement = await placeBet(fixture.placement, fixture.operatorId, new Map([['dice', DEFAULT_DICE_CONFIG]]), { sessionToken, amount: 100, game: 'dice', params }, randomUUID());
  return placement.bet;
}

const debitApplied = (bet: BetRecord): WalletCallReport => ({ kind: 'debit', transactionId: walletTransactionId(bet.id, 'debit'), amount: bet.amount, result: 'applied' });
const creditApplied = (bet: BetRecord): WalletCallReport => ({ kind: 'credit', transactionId: walletTransactionId(bet.id, 'credit'), amount: bet.payout, result: 'applied' });
const creditTimedOut = (bet: BetRecord): WalletCallReport => ({
  kind: 'credit',
  transactionId: walletTransactionId(bet.id, 'credit'),
  amount: bet.payout,
  result: 'unknown',
  error: 'timeout',
});

/** Feeds `event` to the machine from the bet as it is and persists the result, as the runtime does. */
async function persist(bet: BetRecord, event: BetEvent, call: WalletCallReport, attempt = 1): Promise<BetRecord | undefined> {
  const step = advanceBet(bet.snapshot, event);
  if (!step.changed) throw new Error(`${event.type} does not change a ${bet.status} bet`);
  const [updated] = await persistTransitions(fixture.db, [{ bet, step, call, attempt, nextAttemptAt: null }]);
  return updated;
}

async function stored(betId: string) {
  const { rows } = await fixture.db.query<{ status: string; version: number }>('SELECT status, version FROM bets WHERE id = $1', [betId]);
  const history = await fixture.db.query<{ state: string; version: number }>('SELECT state, version FROM bet_transitions WHERE bet_id = $1 ORDER BY version', [betId]);
  return { ...rows[0]!, history: history.rows };
}

async function written(betId: string) {
  const events = await fixture.db.query<{ type: string }>('SELECT type FROM events WHERE bet_id = $1 ORDER BY seq', [betId]);
  const audits = await fixture.db.query<{ action: string }>('SELECT action FROM audit_log WHERE bet_id = $1 ORDER BY id', [betId]);
  const debit = await fixture.db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM wallet_transactions WHERE id = $1', [
    walletTransactionId(betId, 'debit'),
  ]);
  return { events: events.rows.map((row) => row.type), audits: audits.rows.map((row) => row.action), debit: debit.rows[0] };
}

test('a transition decided on a stale version writes nothing; on the current version it advances the version by one', async (t) => {
  const bet = await newBet('lose');
  t.is(bet.version, 1);
  const before = await written(bet.id);

  const stale = await persist({ ...bet, version: bet.version - 1 }, { type: 'DEBIT_SUCCEEDED', at: Date.now() }, debitApplied(bet));
  t.is(stale, undefined);
  t.like(await stored(bet.id), { status: 'debiting', version: 1 });
  t.deepEqual(await written(bet.id), before);

  const current = await persist(bet, { type: 'DEBIT_SUCCEEDED', at: Date.now() }, debitApplied(bet));
  t.like(current, { status: 'lost', version: 2 });
  t.like(await stored(bet.id), { status: 'lost', version: 2 });

  // Another runner holding the bet as it was (version 1) comes second: none of its rows is written.
  const afterFirst = await written(bet.id);
  const late = await persist(bet, { type: 'DEBIT_SUCCEEDED', at: Date.now() }, debitApplied(bet));
  t.is(late, undefined);
  t.like(await stored(bet.id), { status: 'lost', version: 2 });
  t.deepEqual(await written(bet.id), afterFirst);
});

test('the history gains one entry per change of state and none for a self-transition', async (t) => {
  let bet = await newBet('win');
  bet = (await persist(bet, { type: 'DEBIT_SUCCEEDED', at: Date.now() }, debitApplied(bet)))!;
  bet = (await persist(bet, { type: 'CREDIT_FAILED', at: Date.now(), error: 'timeout' }, creditTimedOut(bet)))!;
  t.like(await stored(bet.id), { status: 'credit_pending', version: 3 });
  const states = (await stored(bet.id)).history.map((entry) => entry.state);
  t.deepEqual(states, ['debiting', 'crediting', 'credit_pending']);

  // A failed retry of the owed credit: credit_pending → credit_pending.
  bet = (await persist(bet, { type: 'CREDIT_FAILED', at: Date.now(), error: 'timeout' }, creditTimedOut(bet), 2))!;
  const retried = await stored(bet.id);
  t.like(retried, { status: 'credit_pending', version: 4 });
  t.deepEqual(
    retried.history.map((entry) => entry.state),
    states,
  );

  bet = (await persist(bet, { type: 'CREDIT_SUCCEEDED', at: Date.now() }, creditApplied(bet), 3))!;
  const won = await stored(bet.id);
  t.like(won, { status: 'won', version: 5 });
  t.deepEqual(
    won.history.map((entry) => entry.state),
    ['debiting', 'crediting', 'credit_pending', 'won'],
  );
});

test("a transition's events and audit rows are written in the machine's order", async (t) => {
  let bet = await newBet('win');
  const placedRows = await written(bet.id);
  t.deepEqual(placedRows.events, ['round.created', 'bet.placed']);

  bet = (await persist(bet, { type: 'DEBIT_SUCCEEDED', at: Date.now() }, debitApplied(bet)))!;
  bet = (await persist(bet, { type: 'CREDIT_FAILED', at: Date.now(), error: 'timeout' }, creditTimedOut(bet)))!;
  const step = advanceBet(bet.snapshot, { type: 'CREDIT_SUCCEEDED', at: Date.now() });
  t.deepEqual(step.events, ['wallet.credited', 'settlement.completed', 'bet.won']);
  await persist(bet, { type: 'CREDIT_SUCCEEDED', at: Date.now() }, creditApplied(bet), 2);

  const rows = await written(bet.id);
  t.deepEqual(rows.events, [
    'round.created',
    'bet.placed',
    'wallet.debited',
    'wallet.credit_failed',
    'settlement.deferred',
    'wallet.credited',
    'settlement.completed',
    'bet.won',
  ]);
  t.deepEqual(rows.audits, ['bet.placed', 'wallet.debit', 'wallet.credit', 'wallet.credit', 'bet.settled']);
  t.deepEqual(rows.debit, { status: 'applied', attempts: 1 });
});
