import { randomUUID } from 'node:crypto';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { rollDice } from '../src/games/dice/dice.ts';
import { startCluster, startWalletMock, TEST_WALLET_SECRET, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { FINAL, launch, ledger, paramsFor, placeBet, setFaults, waitForBet } from './support/bets.ts';
import type { RunningProcess } from './support/process.ts';
import { openSse } from './support/sse-client.ts';
import { serverSeedOf } from './support/secrets.ts';

// SPEC §5 / issue #17 point 1: nothing that reveals an outcome (roll, win, payout, face,
// multiplier) is observable while the bet's debit is not applied — otherwise the
// operator's wallet could look each bet up while it holds the debit and refuse only the
// winning ones. The wallet here does exactly that: it holds every debit (latencyMs)
// while we read every route, as the operator, on both nodes, and follow the SSE stream.

const HOLD_MS = 6_000;
let cluster: TestCluster;
let db: Db;
const wallets: RunningProcess[] = [];

test.before(async () => {
  cluster = await startCluster({
    nodes: 2,
    nodeEnv: {
      // The held debit must be answered, not timed out: it is applied when the hold ends.
      WALLET_TIMEOUT_MS: '20000',
      // POST /bets answers 202 (still debiting) long before the wallet does.
      BET_RESPONSE_WAIT_MS: '300',
      BET_DEBIT_ATTEMPTS: '2',
      BET_RETRY_BASE_MS: '30',
      BET_RETRY_MAX_MS: '200',
      // Every line a node writes is checked, request lines included.
      LOG_LEVEL: 'debug',
    },
  });
  db = await openDb(cluster.database.url, 4);
});

test.after.always(async () => {
  await db?.end();
  await Promise.all(wallets.map((wallet) => wallet.stop('SIGKILL')));
  await cluster?.stop();
});

const nodeUrl = (index: number) => cluster.nodes[index % cluster.nodes.length]!.url;

const OUTCOME_KEYS = new Set(['roll', 'win', 'face', 'multiplier']);

/** Every place in `value` that reveals an outcome: an outcome field, a non-null outcome, a payout above 0. */
function leaks(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => leaks(item, `${path}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    const where = `${path}.${key}`;
    if (OUTCOME_KEYS.has(key)) return [`${where}=${JSON.stringify(inner)}`];
    if (key === 'outcome' && inner !== null) return [`${where}=${JSON.stringify(inner)}`];
    if (key === 'payout' && inner !== 0) return [`${where}=${JSON.stringify(inner)}`];
    return leaks(inner, where);
  });
}

interface Poll {
  what: string;
  status: number;
  body: any;
  /** When the answer was complete (ms): anything the RGS said before the wallet applied a debit. */
  at: number;
}

/** A bet view must hide its outcome unless its debit is applied or its seed pair is revealed. */
const DEBIT_APPLIED = new Set(['crediting', 'credit_pending', 'credit_parked', 'won', 'lost']);

async function expectedOutcome(roundId: string) {
  const { rows } = await db.query(
    'SELECT sp.id, sp.server_seed, r.client_seed, r.nonce FROM rounds r JOIN seed_pairs sp ON sp.id = r.seed_pair_id WHERE r.id = $1',
    [roundId],
  );
  return rollDice(serverSeedOf(rows[0]), rows[0].client_seed, Number(rows[0].nonce)).roll;
}

test('while the wallet holds the debits, no route, event, audit row or log line shows an outcome; once applied, it shows', async (t) => {
  const wallet = await startWalletMock();
  wallets.push(wallet);
  const operator = await createOperator(cluster.nodes[0]!, { walletUrl: wallet.url, walletSecret: TEST_WALLET_SECRET });
  const client = (index: number) => operator.client(nodeUrl(index));
  const players = ['ann', 'ben', 'cat', 'dan'];
  const wants = ['win', 'win', 'lose', 'win'] as const;
  const sessions = await Promise.all(players.map((player) => launch(client(0), player)));
  const params = await Promise.all(players.map((player, index) => paramsFor(db, operator.id, player, wants[index]!)));
  const stream = await openSse(nodeUrl(1), { apiKey: operator.apiKey });
  t.teardown(() => stream.close());
  await setFaults(wallet.url, { debit: { latencyMs: HOLD_MS } });

  const keys = players.map(() => randomUUID());
  const placed = await Promise.all(players.map((_, index) => placeBet(client(index), sessions[index]!, 1_000, params[index], keys[index])));
  const polls: Poll[] = [];
  for (const [index, answer] of placed.entries()) {
    polls.push({ what: `POST /bets (${players[index]})`, status: answer.status, body: answer.body, at: Date.now() });
    t.is(answer.status, 202, 'the wallet still holds the debit');
    t.like(answer.body, { status: 'debiting', outcome: null, payout: 0 });
  }
  const bets = placed.map((answer) => answer.body as { id: string; roundId: string });

  // What an operator (or its wallet) can read, from either node, again and again until the
  // wallet applies the first debit.
  const reads = [
    ...bets.map((bet) => `/bets/${bet.id}`),
    '/bets',
    '/bets?status=debiting',
    ...players.map((player) => `/bets?playerId=${player}`),
    ...bets.map((bet) => `/rounds/${bet.roundId}`),
    ...players.map((player) => `/players/${player}/rounds`),
    '/transactions',
    ...bets.map((bet) => `/transactions?roundId=${bet.roundId}`),
    '/audit',
    '/audit?action=bet.placed',
    '/outbox',
    '/webhooks/deliveries',
  ];
  let round = 0;
  while ((await ledger(wallet.url)).length === 0) {
    const node = round++;
    const answers = await Promise.all([
      ...reads.map(async (path) => ({ what: `GET ${path}`, answer: await client(node).get(path) })),
      // An idempotent replay answers the bet as it is now: still debiting, still secret.
      ...players.map(async (_, index) => ({
        what: `POST /bets replay (${players[index]})`,
        answer: await placeBet(client(node), sessions[index]!, 1_000, params[index], keys[index]),
      })),
    ]);
    const at = Date.now();
    for (const { what, answer } of answers) polls.push({ what, status: answer.status, body: answer.body, at });
  }

  const finals = await Promise.all(bets.map((bet) => waitForBet(client(1), bet.id, FINAL, 60_000)));
  const appliedAt = Math.min(...(await ledger(wallet.url)).filter((item) => item.kind === 'debit').map((item) => Date.parse(item.at)));
  const held = polls.filter((poll) => poll.at < appliedAt);
  t.true(held.length >= reads.length + players.length, `only ${held.length} answers came while every debit was held`);
  for (const what of new Set(polls.map((poll) => poll.what))) t.true(held.some((poll) => poll.what === what), `${what} was read while the debits were held`);
  for (const poll of held) {
    t.true(poll.status === 200 || poll.status === 202, `${poll.what}: ${poll.status}`);
    t.deepEqual(leaks(poll.body), [], `${poll.what} while the wallet held the debits`);
  }
  // At any moment, whatever the timing: a bet shown without an applied debit hides its outcome.
  for (const poll of polls) {
    const views = [poll.body, ...(poll.body?.items ?? [])].filter((view) => typeof view?.status === 'string' && 'outcome' in view);
    for (const view of views) {
      if (!DEBIT_APPLIED.has(view.status)) t.deepEqual([view.outcome, view.payout], [null, 0], `${poll.what}: a ${view.status} bet`);
    }
  }

  // Once the debit is applied, the outcome shows everywhere, and it is the one the seeds give.
  for (const [index, bet] of finals.entries()) {
    t.is(bet.status, wants[index] === 'win' ? 'won' : 'lost');
    const roll = await expectedOutcome(bet.roundId);
    t.deepEqual(bet.outcome, { roll, win: wants[index] === 'win' });
    t.is(bet.payout > 0, wants[index] === 'win');
    t.deepEqual((await client(0).get(`/rounds/${bet.roundId}`)).body.outcome, bet.outcome);
    const recalled = (await client(1).get(`/players/${players[index]}/rounds`)).body.items[0];
    t.deepEqual([recalled.outcome, recalled.bet.payout], [bet.outcome, bet.payout]);
  }

  // The stream (and the webhook bodies, the same event JSON): each bet's events before its
  // wallet.debited say nothing of the outcome, and no event ever carries a roll.
  await stream.until((s) => finals.every((bet) => s.messages.some((m) => m.event === 'bet.won' || m.event === 'bet.lost' ? JSON.parse(m.data).data.betId === bet.id : false)), 30_000);
  const events = stream.messages.map((message) => JSON.parse(message.data) as { type: string; data: Record<string, unknown> });
  for (const bet of bets) {
    const own = events.filter((event) => event.data.betId === bet.id);
    const debited = own.findIndex((event) => event.type === 'wallet.debited');
    t.true(debited > 0, 'bet.placed came first');
    t.deepEqual(own.slice(0, debited).map((event) => event.type), ['round.created', 'bet.placed']);
    t.deepEqual(leaks(own.slice(0, debited)), [], 'events before the debit');
    t.deepEqual(
      own.flatMap((event) => leaks({ ...event.data, payout: 0 })),
      [],
      'no event carries a roll or a win flag (a payout only once won)',
    );
  }
  // The audit rows written at placement, and every event row as stored for webhooks.
  const placedAudit = await db.query("SELECT data FROM audit_log WHERE operator_id = $1 AND action = 'bet.placed'", [operator.id]);
  t.is(placedAudit.rows.length, bets.length);
  t.deepEqual(leaks(placedAudit.rows.map((row) => row.data)), []);
  const storedEvents = await db.query("SELECT data FROM events WHERE operator_id = $1 AND type IN ('round.created', 'bet.placed')", [operator.id]);
  t.deepEqual(leaks(storedEvents.rows.map((row) => row.data)), []);

  // No node ever logged an outcome, at any level.
  for (const node of cluster.nodes) {
    const lines = node.logs.filter((line) => /"(roll|win|payout|face|multiplier)"\s*:/.test(line));
    t.deepEqual(lines, [], `${node.name} logged an outcome`);
  }
});

test('a rejected or cancelled bet shows its outcome only once its seed pair is revealed by rotation, and never a payout', async (t) => {
  // The wallet refuses every debit above 500 (INSUFFICIENT_FUNDS): nothing taken, nothing to show.
  const wallet = await startWalletMock({ WALLET_START_BALANCE: '500' });
  wallets.push(wallet);
  const operator = await createOperator(cluster.nodes[0]!, { walletUrl: wallet.url, walletSecret: TEST_WALLET_SECRET });
  const client = operator.client(nodeUrl(0));
  const other = operator.client(nodeUrl(1));
  const rejectedSession = await launch(client, 'rita');
  const rejectedPlaced = await placeBet(client, rejectedSession, 1_000, await paramsFor(db, operator.id, 'rita', 'win'));
  t.like(rejectedPlaced.body, { outcome: null, payout: 0 });
  const rejected = await waitForBet(other, rejectedPlaced.body.id);
  t.like(rejected, { status: 'rejected', rejectReason: 'INSUFFICIENT_FUNDS', outcome: null, payout: 0 });
  // A debit that never gets an answer is rolled back: cancelled, nothing taken either.
  const cancelledSession = await launch(client, 'carl');
  await setFaults(wallet.url, { debit: { errorRate: 1 } });
  const cancelledPlaced = await placeBet(client, cancelledSession, 100, await paramsFor(db, operator.id, 'carl', 'win'));
  const cancelled = await waitForBet(other, cancelledPlaced.body.id);
  t.is(cancelled.status, 'cancelled');

  const shown = async (bet: { id: string; roundId: string }, player: string) => {
    const [view, listed, roundView, recall] = await Promise.all([
      other.get(`/bets/${bet.id}`),
      client.get(`/bets?playerId=${player}`),
      other.get(`/rounds/${bet.roundId}`),
      client.get(`/players/${player}/rounds`),
    ]);
    return {
      bet: [view.body.outcome, view.body.payout],
      listed: [listed.body.items[0].outcome, listed.body.items[0].payout],
      round: roundView.body.outcome,
      recall: [recall.body.items[0].outcome, recall.body.items[0].bet.payout],
    };
  };
  const hidden = { bet: [null, 0], listed: [null, 0], round: null, recall: [null, 0] };
  t.deepEqual(await shown(rejected, 'rita'), hidden);
  t.deepEqual(await shown(cancelled, 'carl'), hidden);

  const rotated = await client.post(`/sessions/${rejectedSession}/seeds/rotate`, {});
  t.is(rotated.status, 200);
  const outcome = { roll: rollDice(rotated.body.previous.serverSeed, rotated.body.previous.clientSeed, 0).roll, win: true };
  t.deepEqual(await shown(rejected, 'rita'), { bet: [outcome, 0], listed: [outcome, 0], round: outcome, recall: [outcome, 0] });
  t.deepEqual(await shown(cancelled, 'carl'), hidden, "another player's rotation reveals nothing of carl's");

  const carlRotated = await client.post(`/sessions/${cancelledSession}/seeds/rotate`, {});
  t.is(carlRotated.status, 200);
  const carlOutcome = { roll: rollDice(carlRotated.body.previous.serverSeed, carlRotated.body.previous.clientSeed, 0).roll, win: true };
  t.deepEqual(await shown(cancelled, 'carl'), { bet: [carlOutcome, 0], listed: [carlOutcome, 0], round: carlOutcome, recall: [carlOutcome, 0] });
});
