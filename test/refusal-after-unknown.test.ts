import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, startWalletMock, TEST_WALLET_SECRET, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { balance, ledger, launch, paramsFor, placeBet, setFaults, waitForBet } from './support/bets.ts';
import { request } from './support/http.ts';
import type { RunningProcess } from './support/process.ts';
import { waitUntil } from './support/wait.ts';

// SPEC §6 / issue #17 point 2: a wallet's 4xx is its final word only when no earlier
// attempt of the same transaction went unanswered. The wallet mock's refuseRetryRate
// answers every retry of a transaction id with a 4xx (404, 409 or 400) without touching its ledger, as a gateway
// might during a deploy, after the first attempt was applied and its answer lost (or
// timed out, or failed). Each test has a wallet mock of its own.

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
    ledger: () => ledger(wallet.url, playerId),
    balance: () => balance(wallet.url, operator.id, playerId),
    stats: async () => ((await request('GET', `${wallet.url}/__stats`)).body as Record<string, Record<string, number>>),
  };
}

const byKind = (items: { kind: string; status: string }[]) => items.map((item) => `${item.kind}:${item.status}`).sort();
const states = (bet: { history: { state: string }[] }) => bet.history.map((h) => h.state);

/** `rgs_bets_parked` as a node serves it (the gauge is read from Postgres: any node answers for the cluster). */
async function parkedGauge(node: RunningProcess): Promise<number | undefined> {
  const answer = await request<string>('GET', `${adminUrlOf(node)}/metrics`);
  const line = answer.body.split('\n').find((text) => text.startsWith('rgs_bets_parked '));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

for (const [fault, rates, walletKept] of [
  ['applied and its answer lost', { lostResponseRate: 1 }, ['debit:rolled_back', 'rollback:applied']],
  ['timed out', { timeoutRate: 1 }, ['rollback:tombstone']],
  ['answered 500', { errorRate: 1 }, ['rollback:tombstone']],
] as const) {
  test(`a debit attempt ${fault}, then a 4xx on the retry: rolled back and cancelled, never rejected, balance whole`, async (t) => {
    const s = await setup();
    await s.faults({ debit: { ...rates, refuseRetryRate: 1 } });
    const placed = await s.bet('win');
    const bet = await waitForBet(s.other, placed.body.id);
    t.is(bet.status, 'cancelled');
    t.deepEqual(states(bet), ['debiting', 'rolling_back', 'cancelled']);
    t.is(bet.rejectReason, undefined, 'a refusal after an unknown attempt is not a rejection');
    t.is(bet.payout, 0);
    t.true((await s.stats()).debit!.refusedRetry! >= 1, 'the retry was refused');
    // The wallet held (or never saw) the first attempt; the rollback left it whole.
    t.deepEqual(byKind(await s.ledger()), [...walletKept]);
    t.is(await s.balance(), START);
    // The RGS's own records say the same: the debit refused on its second attempt, then rolled back.
    const recorded = (await s.client.get(`/transactions?roundId=${placed.body.roundId}`)).body.items;
    t.deepEqual(
      recorded.map((item: { kind: string; status: string; attempts: number; resultCode?: string | null }) => `${item.kind}:${item.status}:${item.attempts}`).sort(),
      ['debit:refused:2', 'rollback:applied:1'],
    );
    const events = await db.query('SELECT type FROM events WHERE bet_id = $1 ORDER BY seq', [placed.body.id]);
    t.deepEqual(
      events.rows.map((row) => row.type),
      ['round.created', 'bet.placed', 'wallet.debit_failed', 'wallet.rolled_back', 'bet.cancelled'],
    );
  });
}

test('a credit applied and its answer lost, then a 4xx on the retry: credit_parked, listed, counted, and paid exactly once by a forced retry', async (t) => {
  const s = await setup();
  await s.faults({ credit: { lostResponseRate: 1, refuseRetryRate: 1 } });
  const placed = await s.bet('win');
  t.is(placed.status, 201, 'the win is owed: money decided');
  const parked = await waitForBet(s.client, placed.body.id, new Set(['credit_parked']));
  t.deepEqual(states(parked), ['debiting', 'crediting', 'credit_pending', 'credit_parked']);
  t.true(parked.payout > 0, 'the debit is applied: the payout owed shows');
  t.is(parked.outcome.win, true);

  // Parked for a person: no attempt is due, so neither a job nor the sweeper retries it on its own.
  const due = await db.query('SELECT next_attempt_at FROM bets WHERE id = $1', [placed.body.id]);
  t.is(due.rows[0].next_attempt_at, null);

  const outbox = await s.other.get('/outbox');
  t.is(outbox.status, 200);
  t.like(outbox.body, { parkedCount: 1, pendingCount: 0 });
  t.like(outbox.body.items[0], { betId: placed.body.id, status: 'credit_parked', kind: 'credit', amount: parked.payout, transactionId: `${placed.body.id}:credit` });
  const listed = await s.other.get('/bets?status=credit_parked');
  t.deepEqual(listed.body.items.map((item: { id: string }) => item.id), [placed.body.id]);
  // This file's database holds no other parked bet.
  await waitUntil(async () => (await parkedGauge(cluster.nodes[1]!)) === 1, 'rgs_bets_parked to count the parked credit');

  // Money is owed, so the bet is not settled: the seed is not revealed yet.
  const rotate = await s.client.post(`/sessions/${s.session}/seeds/rotate`, {});
  t.is(rotate.status, 409);
  t.is(rotate.body.code, 'BETS_IN_PROGRESS');

  await s.faults({});
  const retried = await s.other.post(`/outbox/${placed.body.id}/retry`);
  t.is(retried.status, 202);
  const won = await waitForBet(s.client, placed.body.id);
  t.is(won.status, 'won');
  t.deepEqual(states(won), ['debiting', 'crediting', 'credit_pending', 'credit_parked', 'won']);
  // The first (lost) credit was applied; the forced retry got its first answer again: one credit.
  const items = await s.ledger();
  t.deepEqual(byKind(items), ['credit:applied', 'debit:applied']);
  t.is(await s.balance(), START - 1_000 + won.payout);
  t.like(await s.client.get('/outbox'), { body: { items: [], parkedCount: 0 } });
  await waitUntil(async () => (await parkedGauge(cluster.nodes[0]!)) === 0, 'rgs_bets_parked to drop once it is paid');
});
