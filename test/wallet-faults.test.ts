import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, startWalletMock, TEST_WALLET_SECRET, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { balance, launch, ledger, paramsFor, placeBet, setFaults, setPlayer, waitForBet } from './support/bets.ts';
import type { RunningProcess } from './support/process.ts';
import { operatorClient } from './support/http.ts';

// SPEC §4/§6: every wallet answer and fault, for debit, credit and rollback, one at a
// time, ends in the right final state with the right wallet ledger. Each test has a
// wallet mock of its own (its operator's walletUrl), so tests run concurrently.

const START = 100_000_000;
let cluster: TestCluster;
let db: Db;
const wallets: RunningProcess[] = [];

test.before(async () => {
  cluster = await startCluster({
    nodes: 2,
    nodeEnv: {
      WALLET_TIMEOUT_MS: '400',
      BET_DEBIT_ATTEMPTS: '3',
      BET_RETRY_BASE_MS: '30',
      BET_RETRY_MAX_MS: '200',
      BET_PARK_AFTER_MS: '1500',
      SWEEP_INTERVAL_MS: '500',
    },
  });
  db = await openDb(cluster.database.url, 4);
});

test.after.always(async () => {
  await db?.end();
  await Promise.all(wallets.map((wallet) => wallet.stop('SIGKILL')));
  await cluster?.stop();
});

/** An operator with a wallet mock of its own, a launched player, and helpers. */
async function setup(playerId = 'player-1') {
  const wallet = await startWalletMock();
  wallets.push(wallet);
  const operator = await createOperator(cluster.nodes[0]!, { walletUrl: wallet.url, walletSecret: TEST_WALLET_SECRET });
  const client = operator.client(cluster.nodes[0]!.url);
  const session = await launch(client, playerId);
  return {
    operator,
    session,
    wallet,
    client,
    other: operator.client(cluster.nodes[1]!.url),
    faults: (faults: Record<string, unknown>) => setFaults(wallet.url, faults),
    bet: async (want: 'win' | 'lose', amount = 1_000) => placeBet(client, session, amount, await paramsFor(db, operator.id, playerId, want)),
    ledger: () => ledger(wallet.url, playerId, operator.id),
    balance: () => balance(wallet.url, operator.id, playerId),
  };
}

const byKind = (items: { kind: string; status: string }[]) => items.map((item) => `${item.kind}:${item.status}`).sort();

test('a lost bet: one debit applied, balance down by the stake', async (t) => {
  const s = await setup();
  const placed = await s.bet('lose');
  t.is(placed.status, 201);
  t.like(placed.body, { status: 'lost', payout: 0, outcome: { win: false } });
  t.deepEqual(placed.body.history.map((h: { state: string }) => h.state), ['debiting', 'lost']);
  t.deepEqual(byKind(await s.ledger()), ['debit:applied']);
  t.is(await s.balance(), START - 1_000);
});

test('a won bet: debit then credit, each once, with deterministic transaction ids', async (t) => {
  const s = await setup();
  const placed = await s.bet('win');
  t.is(placed.status, 201);
  t.like(placed.body, { status: 'won', outcome: { win: true } });
  t.deepEqual(placed.body.history.map((h: { state: string }) => h.state), ['debiting', 'crediting', 'won']);
  const items = await s.ledger();
  t.deepEqual(byKind(items), ['credit:applied', 'debit:applied']);
  t.deepEqual(items.map((item) => item.transactionId).sort(), [`${placed.body.id}:credit`, `${placed.body.id}:debit`]);
  t.is(await s.balance(), START - 1_000 + placed.body.payout);
  // The RGS's own reconciliation agrees: each call made once and applied.
  const recorded = (await s.client.get(`/transactions?roundId=${placed.body.roundId}`)).body.items;
  t.deepEqual(
    recorded.map((item: { kind: string; status: string; attempts: number; amount: number }) => `${item.kind}:${item.status}:${item.attempts}:${item.amount}`).sort(),
    [`credit:applied:1:${placed.body.payout}`, 'debit:applied:1:1000'],
  );
});

test('debit refused for insufficient funds: rejected, nothing taken', async (t) => {
  const s = await setup();
  await setPlayer(s.wallet.url, s.operator.id, 'player-1', { balance: { EUR: 500 } });
  const placed = await s.bet('win', 1_000);
  t.is(placed.status, 201);
  t.like(placed.body, { status: 'rejected', rejectReason: 'INSUFFICIENT_FUNDS', payout: 0 });
  t.deepEqual(byKind(await s.ledger()), ['debit:refused']);
  t.is(await s.balance(), 500);
});

test('debit refused for a blocked player: rejected, nothing taken', async (t) => {
  const s = await setup();
  await setPlayer(s.wallet.url, s.operator.id, 'player-1', { blocked: true });
  const placed = await s.bet('lose');
  t.like(placed.body, { status: 'rejected', rejectReason: 'PLAYER_BLOCKED' });
  t.is(await s.balance(), START);
});

for (const [fault, rates] of [
  ['errors', { errorRate: 1 }],
  ['timeouts', { timeoutRate: 1 }],
  ['lost responses', { lostResponseRate: 1 }],
] as const) {
  test(`debit ${fault} on every attempt: rolled back and cancelled, balance whole`, async (t) => {
    const s = await setup();
    await s.faults({ debit: rates });
    const placed = await s.bet('win');
    const bet = await waitForBet(s.other, placed.body.id);
    t.like(bet, { status: 'cancelled', payout: 0 });
    t.deepEqual(bet.history.map((h: { state: string }) => h.state), ['debiting', 'rolling_back', 'cancelled']);
    const items = await s.ledger();
    // A lost response applied the debit, which the rollback reversed; otherwise the
    // rollback left a tombstone so a late copy of the debit is refused.
    t.deepEqual(byKind(items), fault === 'lost responses' ? ['debit:rolled_back', 'rollback:applied'] : ['rollback:tombstone']);
    t.is(await s.balance(), START);
    const attempts = await db.query('SELECT attempts, last_error FROM wallet_transactions WHERE id = $1', [`${placed.body.id}:debit`]);
    t.is(attempts.rows[0].attempts, 3, 'the debit was tried exactly BET_DEBIT_ATTEMPTS times with the same id');
    // A wallet that never answers is cut off by WALLET_TIMEOUT_MS, and recorded as such.
    if (fault === 'timeouts') t.is(attempts.rows[0].last_error, 'wallet timed out');
  });
}

test('debit latency below the timeout: settled normally', async (t) => {
  const s = await setup();
  await s.faults({ debit: { latencyMs: 100 }, credit: { latencyMs: 100 } });
  const placed = await s.bet('win');
  t.is(placed.status, 201);
  // Under a loaded CI machine a 100 ms wallet can still brush the 400 ms timeout and
  // defer the credit once; either way the bet ends won with one debit and one credit.
  t.is((await waitForBet(s.client, placed.body.id)).status, 'won');
  t.deepEqual(byKind(await s.ledger()), ['credit:applied', 'debit:applied']);
});

for (const [fault, rates] of [
  ['errors', { errorRate: 1 }],
  ['timeouts', { timeoutRate: 1 }],
  ['lost responses', { lostResponseRate: 1 }],
] as const) {
  test(`credit ${fault}: credit_pending in the outbox (201, money decided), then won exactly once when the wallet recovers`, async (t) => {
    const s = await setup();
    await s.faults({ credit: rates });
    const placed = await s.bet('win');
    t.is(placed.status, 201, 'a deferred credit is decided money');
    const pending = await waitForBet(s.client, placed.body.id, new Set(['credit_pending']));
    t.is(pending.payout, placed.body.payout);
    const outbox = await s.other.get('/outbox');
    t.is(outbox.body.items[0]?.betId, placed.body.id);
    t.true(outbox.body.items[0].attempts >= 1);
    await s.faults({});
    const won = await waitForBet(s.other, placed.body.id);
    t.is(won.status, 'won');
    t.deepEqual(won.history.map((h: { state: string }) => h.state), ['debiting', 'crediting', 'credit_pending', 'won']);
    t.deepEqual(byKind(await s.ledger()), ['credit:applied', 'debit:applied']);
    t.is(await s.balance(), START - 1_000 + won.payout);
    t.deepEqual((await s.client.get('/outbox')).body.items, []);
  });
}

for (const [fault, rates] of [
  ['errors', { errorRate: 1 }],
  ['timeouts', { timeoutRate: 1 }],
  ['lost responses', { lostResponseRate: 1 }],
] as const) {
  test(`rollback ${fault}: parked after the bound, listed, then cancelled by a forced retry`, async (t) => {
    const s = await setup();
    await s.faults({ debit: { errorRate: 1 }, rollback: rates });
    const placed = await s.bet('lose');
    await waitForBet(s.client, placed.body.id, new Set(['parked']));
    const outbox = await s.other.get('/outbox');
    t.is(outbox.body.parkedCount, 1);
    await s.faults({});
    const retried = await s.other.post(`/outbox/${placed.body.id}/retry`);
    t.is(retried.status, 202);
    const bet = await waitForBet(s.client, placed.body.id);
    t.is(bet.status, 'cancelled');
    t.deepEqual(bet.history.map((h: { state: string }) => h.state), ['debiting', 'rolling_back', 'parked', 'cancelled']);
    t.is(await s.balance(), START);
  });
}

test('a wallet slower than the response wait: 202 with Location, then final', async (t) => {
  const s = await setup();
  const slowNode = await cluster.addNode('slow-api-node', { BET_RESPONSE_WAIT_MS: '100', WALLET_TIMEOUT_MS: '3000', RGS_ROLES: 'api' });
  await s.faults({ debit: { latencyMs: 600 } });
  const slow = operatorClient(slowNode.url, s.operator.apiKey);
  const placed = await placeBet(slow, s.session, 1_000, await paramsFor(db, s.operator.id, 'player-1', 'lose'));
  t.is(placed.status, 202);
  t.is(placed.headers.get('location'), `/bets/${placed.body.id}`);
  t.is(placed.body.status, 'debiting');
  const bet = await waitForBet(slow, placed.body.id);
  t.is(bet.status, 'lost');
});
