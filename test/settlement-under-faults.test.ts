import test from 'ava';
import { randomUUID } from 'node:crypto';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { balance, launch, ledger, setFaults } from './support/bets.ts';
import { operatorClient } from './support/http.ts';

// SPEC §10.1–2: a few hundred bets over two nodes with mixed wallet faults on every
// operation, one node SIGKILLed mid-run and restarted. Afterwards every bet is final, and
// for every player the wallet's balance equals start − Σ debits not rolled back + Σ
// credits, which equals the RGS's own records; no transaction is applied twice.

const START = 100_000_000;
const BETS = 300;
const PLAYERS = 20;
const CONCURRENCY = 16;

let cluster: TestCluster;
let db: Db;

test.before(async () => {
  cluster = await startCluster({
    nodes: 2,
    nodeEnv: { WALLET_TIMEOUT_MS: '300', BET_RETRY_BASE_MS: '50', BET_RETRY_MAX_MS: '500', SWEEP_INTERVAL_MS: '500' },
  });
  db = await openDb(cluster.database.url, 4);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
});

test('every bet ends final and every player balance reconciles after wallet faults and a SIGKILL', async (t) => {
  const operator = await createOperator(cluster.nodes[0]!);
  const sessions: { playerId: string; token: string }[] = [];
  for (let i = 0; i < PLAYERS; i++) {
    const playerId = `chaos-${i}`;
    sessions.push({ playerId, token: await launch(operator.client(), playerId) });
  }
  const fault = { errorRate: 0.2, timeoutRate: 0.1, lostResponseRate: 0.1, latencyMs: 2 };
  await setFaults(cluster.wallet.url, { debit: fault, credit: fault, rollback: fault, seed: 42 });

  const answered = new Map<string, number>();
  let submitted = 0;
  let killed = false;
  // An operator retries a request that got no answer with the same Idempotency-Key on
  // whichever node is up: that is what makes a node death invisible to it.
  async function submit(index: number) {
    const session = sessions[index % PLAYERS]!;
    const key = randomUUID();
    const body = { sessionToken: session.token, amount: 100 + (index % 7) * 50, game: 'dice', params: { target: 50, direction: index % 2 ? 'over' : 'under' } };
    for (let attempt = 0; attempt < 50; attempt++) {
      const node = cluster.nodes[(index + attempt) % cluster.nodes.length]!;
      try {
        const answer = await operatorClient(node.url, operator.apiKey).post('/bets', body, { headers: { 'idempotency-key': key } });
        t.true(answer.status < 500, `no 5xx to a well-formed bet: ${answer.status} ${JSON.stringify(answer.body)}`);
        if (answer.status === 201 || answer.status === 202) {
          answered.set(answer.body.id, answer.status);
          return;
        }
      } catch {
        // connection refused or reset by the killed node: try again elsewhere
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.fail(`bet ${index} never got an answer`);
  }

  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (submitted < BETS) {
        const index = submitted++;
        if (index === Math.floor(BETS / 3) && !killed) {
          killed = true;
          const victim = cluster.nodes[1]!;
          await victim.stop('SIGKILL');
          cluster.nodes[1] = await cluster.addNode('node-b-restarted').then((node) => {
            cluster.nodes.pop();
            return node;
          });
        }
        await submit(index);
      }
    }),
  );
  t.is(answered.size, BETS);

  // The wallet recovers; queues and the sweeper drain everything.
  await setFaults(cluster.wallet.url, {});
  const deadline = Date.now() + 90_000;
  let open = Infinity;
  while (Date.now() < deadline) {
    open = Number((await db.query("SELECT count(*) FROM bets WHERE status NOT IN ('won', 'lost', 'rejected', 'cancelled')")).rows[0].count);
    if (open === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  t.is(open, 0, 'every bet is final once the wallet is healthy and the queues drain');

  const bets = (await db.query("SELECT id, player_id, status, amount::int, payout::int FROM bets WHERE operator_id = $1", [operator.id])).rows;
  t.is(bets.length, BETS, 'one bet per request, however often it was retried');
  // SPEC §10.1 per (operator, player): the mock's books of this operator.
  const items = await ledger(cluster.wallet.url, undefined, operator.id);
  const ids = items.map((item) => item.transactionId);
  t.is(new Set(ids).size, ids.length, 'no transaction id twice in the ledger');

  const betById = new Map(bets.map((bet) => [bet.id, bet]));
  for (const item of items) {
    const bet = betById.get(item.betId);
    if (!bet) continue;
    // Money moved exactly as the bet's final state says.
    if (item.kind === 'debit' && item.status === 'applied') t.true(bet.status === 'won' || bet.status === 'lost', `${bet.id} debited but ${bet.status}`);
    if (item.kind === 'credit' && item.status === 'applied') t.is(bet.status, 'won');
  }
  for (const bet of bets.filter((bet) => bet.status === 'won' || bet.status === 'lost')) {
    t.true(items.some((item) => item.transactionId === `${bet.id}:debit` && item.status === 'applied'), `${bet.id} ${bet.status} has its debit`);
  }

  let mismatches = 0;
  for (const { playerId } of sessions) {
    const mine = items.filter((item) => item.playerId === playerId);
    const debited = mine.filter((item) => item.kind === 'debit' && item.status === 'applied').reduce((sum, item) => sum + item.amount, 0);
    const credited = mine.filter((item) => item.kind === 'credit' && item.status === 'applied').reduce((sum, item) => sum + item.amount, 0);
    const ours = bets.filter((bet) => bet.player_id === playerId);
    const expected =
      START -
      ours.filter((bet) => bet.status === 'won' || bet.status === 'lost').reduce((sum, bet) => sum + bet.amount, 0) +
      ours.filter((bet) => bet.status === 'won').reduce((sum, bet) => sum + bet.payout, 0);
    const actual = await balance(cluster.wallet.url, operator.id, playerId);
    if (actual !== START - debited + credited || actual !== expected) mismatches++;
  }
  t.is(mismatches, 0, 'wallet balance = start − debits not rolled back + credits = the RGS records, for every player');
  const statuses = bets.reduce<Record<string, number>>((acc, bet) => ({ ...acc, [bet.status]: (acc[bet.status] ?? 0) + 1 }), {});
  t.log(`bets by final state: ${JSON.stringify(statuses)}`);
});
