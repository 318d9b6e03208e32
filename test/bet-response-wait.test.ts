import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { Redis } from 'ioredis';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { launch, ledger, placeBet, setFaults } from './support/bets.ts';
import type { RunningProcess } from './support/process.ts';
import { REDIS_URL } from './support/redis.ts';

// SPEC §3, issue #17 point 12: POST /bets waits for its bet's money to be decided on the
// in-process result and, when a retry job on another node decides it, on that node's
// announcement through Redis, never by polling Postgres; only a repeat of a request still
// running reads its bet again while it waits. Node A serves HTTP only, so every retry job runs on
// node B. Timers that would add statements of their own (the relay's recovery pass, the
// sweepers) are slowed down, so a statement count is the bet's own.

/**
 * What a bet whose every debit gets a 5xx costs, until its rollback: 14 round trips of its
 * own (README, "The bet path"), and a share of the event relay's passes.
 */
const STATEMENTS_PER_FAILED_BET = 20;
const BETS = 10;

let cluster: TestCluster;
let db: Db;
let nodeA: RunningProcess;
let nodeB: RunningProcess;

test.before(async () => {
  cluster = await startCluster({
    nodes: 0,
    nodeEnv: {
      BET_RESPONSE_WAIT_MS: '20000',
      BET_RETRY_BASE_MS: '500',
      BET_DEBIT_ATTEMPTS: '4',
      RELAY_INTERVAL_MS: '60000',
      SWEEP_INTERVAL_MS: '600000',
    },
  });
  nodeA = await cluster.addNode('node-api', { RGS_ROLES: 'api' });
  nodeB = await cluster.addNode('node-workers', { RGS_ROLES: 'api,workers' });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
});

async function metric(node: RunningProcess, line: string): Promise<number> {
  const text = await (await fetch(`${adminUrlOf(node)}/metrics`)).text();
  const found = text.split('\n').find((each) => each.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

async function walletStats(): Promise<Record<'debit' | 'credit' | 'rollback', Record<string, number>>> {
  return (await fetch(`${cluster.wallet.url}/__stats`)).json() as never;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

/** Statements both nodes have sent to Postgres so far. */
async function statements(): Promise<number> {
  return (await metric(nodeA, 'rgs_db_statements_total')) + (await metric(nodeB, 'rgs_db_statements_total'));
}

test.serial('a bet whose first debit is unknown and whose retry runs on another node answers 201 on that node\'s Redis announcement', async (t) => {
  const operator = await createOperator(nodeA);
  const client = operator.client(nodeA.url);
  const session = await launch(client, 'announced');
  const before = await walletStats();
  await setFaults(cluster.wallet.url, { debit: { errorRate: 1 } });
  t.teardown(() => setFaults(cluster.wallet.url, {}));

  const placing = placeBet(client, session, 1_000, { target: 50, direction: 'over' });
  // The first attempt (node A, in process) got a 500; the retry job (node B) finds the wallet healthy.
  await waitFor(async () => (await walletStats()).debit.error! > before.debit.error!);
  await setFaults(cluster.wallet.url, {});
  const answer = await placing;

  t.is(answer.status, 201);
  t.true(['won', 'lost'].includes(answer.body.status), answer.body.status);
  t.is((await walletStats()).debit.applied! - before.debit.applied!, 1);
  t.is(await metric(nodeA, 'rgs_bet_response_waits_total{ended_by="decided_elsewhere"}'), 1, 'node A answered on the announcement of node B');
  t.is(await metric(nodeA, 'rgs_bet_response_waits_total{ended_by="not_in_time"}'), 0);
  const debits = (await ledger(cluster.wallet.url, 'announced')).filter((item) => item.kind === 'debit');
  t.is(debits.length, 1);
});

test.serial('a repeat sent to another node while the first request runs answers 201 once the first request decides the bet', async (t) => {
  const operator = await createOperator(nodeA);
  const session = await launch(operator.client(nodeA.url), 'repeated');
  // The first request's debit takes a while: the repeat comes in meanwhile, on node B.
  await setFaults(cluster.wallet.url, { debit: { latencyMs: 1_500 } });
  t.teardown(() => setFaults(cluster.wallet.url, {}));
  const waitsBefore = await metric(nodeB, 'rgs_bet_response_waits_total{ended_by="decided_elsewhere"}');
  // What node A publishes on the cluster's channel of decided bets meanwhile.
  const listener = new Redis(REDIS_URL);
  const published: string[] = [];
  t.teardown(() => listener.disconnect());
  await listener.subscribe(`${cluster.redisPrefix}bets:decided`);
  listener.on('message', (_channel: string, message: string) => published.push(message));
  const key = 'repeat-on-another-node';
  const first = placeBet(operator.client(nodeA.url), session, 1_000, { target: 50, direction: 'over' }, key);
  await waitFor(async () => (await db.query("SELECT 1 FROM bets WHERE idempotency_key = $1", [key])).rowCount === 1);
  const repeat = await placeBet(operator.client(nodeB.url), session, 1_000, { target: 50, direction: 'over' }, key);
  const answer = await first;

  t.is(answer.status, 201);
  t.is(repeat.status, 201, 'the repeat waited for the decision made on node A, not for its deadline');
  t.deepEqual(repeat.body, answer.body);
  // Node A announced its own decision to itself only: node B found it by reading the bet again.
  t.is((await metric(nodeB, 'rgs_bet_response_waits_total{ended_by="decided_elsewhere"}')) - waitsBefore, 1);
  await listener.ping(); // a subscribed connection answers in order: anything published before is in
  t.false(published.some((message) => message.split(',').includes(answer.body.id)), 'no PUBLISH for a bet its own request decided');
});

test.serial('bets whose every debit gets a 5xx at once cost a bounded number of statements each until they are rolled back', async (t) => {
  const operator = await createOperator(nodeA);
  const client = operator.client(nodeA.url);
  const players = Array.from({ length: BETS }, (_, n) => `failing-${n}`);
  const sessions = await Promise.all(players.map((playerId) => launch(client, playerId)));
  await setFaults(cluster.wallet.url, { debit: { errorRate: 1 } });
  t.teardown(() => setFaults(cluster.wallet.url, {}));
  const before = await walletStats();
  // Nothing of these bets is in flight yet: every statement from here on is theirs (their
  // placement, four debit attempts each, the rollbacks, the answers and the event relay's
  // passes their commits kick), apart from the /metrics scrapes that read the counters.
  const start = await statements();

  const answers = await Promise.all(sessions.map((session) => placeBet(client, session, 1_000, { target: 50, direction: 'over' })));
  t.deepEqual(
    answers.map((answer) => `${answer.status} ${answer.body.status}`),
    answers.map(() => '201 cancelled'),
  );
  // The relay appends the bets' last events after the answers: wait until it has.
  await waitFor(async () => Number((await db.query('SELECT count(*) FROM unrelayed_events')).rows[0].count) === 0);
  const cost = (await statements()) - start;

  const after = await walletStats();
  t.is(after.debit.error! - before.debit.error!, 4 * BETS, 'every debit attempt was made');
  t.is(after.rollback.applied! - before.rollback.applied!, BETS);
  t.log(`${BETS} bets whose four debits each got a 500, until rolled back: ${cost} statements, ${(cost / BETS).toFixed(1)} per bet`);
  t.true(cost >= 2 * BETS, 'the placements at least were counted');
  t.true(cost <= STATEMENTS_PER_FAILED_BET * BETS, `${cost} statements`);
});
