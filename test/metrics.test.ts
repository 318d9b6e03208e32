import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { startCluster, startNode, startWalletMock, TEST_WALLET_SECRET, type TestCluster } from './support/cluster.ts';
import { adminUrlOf, createOperator } from './support/operators.ts';
import { launch, paramsFor, placeBet, setFaults, waitForBet } from './support/bets.ts';
import { request } from './support/http.ts';
import type { RunningProcess } from './support/process.ts';
import { openSse } from './support/sse-client.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

// SPEC §9: /metrics (Prometheus text) names every series ops need, with values that follow
// what happened, and labels that stay bounded whatever paths clients send.

let cluster: TestCluster;
let db: Db;
let receiver: WebhookReceiver;
const wallets: RunningProcess[] = [];

test.before(async () => {
  cluster = await startCluster({
    nodes: 1,
    // Quick retries and a short park bound, so a bet whose rollback keeps failing is parked soon.
    nodeEnv: { BET_DEBIT_ATTEMPTS: '2', BET_RETRY_BASE_MS: '30', BET_RETRY_MAX_MS: '200', BET_PARK_AFTER_MS: '1000', SWEEP_INTERVAL_MS: '500' },
  });
  db = await openDb(cluster.database.url, 2);
  receiver = await startWebhookReceiver();
});

test.after.always(async () => {
  await db?.end();
  await receiver?.close();
  await Promise.all(wallets.map((wallet) => wallet.stop('SIGKILL')));
  await cluster?.stop();
});

const node = () => cluster.nodes[0]!;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** GET /metrics on a node's admin listener (SPEC §2). */
async function scrape(from: RunningProcess = node()): Promise<{ text: string; samples: Sample[] }> {
  const answer = await request<string>('GET', `${adminUrlOf(from)}/metrics`);
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}`);
  return { text: answer.body, samples: parseMetrics(answer.body) };
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

/** Scrapes until `check` holds (gauges are read at most once a second); returns that scrape. */
async function scrapeUntil(check: (samples: Sample[]) => boolean, timeoutMs = 30_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { samples } = await scrape();
    if (check(samples) || Date.now() > deadline) return samples;
    await sleep(250);
  }
}

/** An operator with a wallet mock of its own (its faults touch no other test) and a launched player. */
async function withOwnWallet(playerId: string) {
  const wallet = await startWalletMock();
  wallets.push(wallet);
  const operator = await createOperator(node(), { walletUrl: wallet.url, walletSecret: TEST_WALLET_SECRET });
  const client = operator.client();
  const session = await launch(client, playerId);
  return { operator, client, session, wallet, bet: async (want: 'win' | 'lose') => placeBet(client, session, 1_000, await paramsFor(db, operator.id, playerId, want)) };
}

test('after a won bet, a webhook and with an SSE client open, /metrics shows every SPEC §9 series', async (t) => {
  const operator = await createOperator(node(), { webhookUrl: receiver.url });
  const client = operator.client();
  const stream = await openSse(node().url, { apiKey: operator.apiKey });
  t.teardown(() => stream.close());
  const session = await launch(client, 'metrics-player');
  const placed = await placeBet(client, session, 1_000, await paramsFor(db, operator.id, 'metrics-player', 'win'));
  t.is(placed.status, 201);
  t.is((await waitForBet(client, placed.body.id)).status, 'won');
  await receiver.waitFor((received) => received.some((each) => each.rawBody.includes(placed.body.id) && each.status === 200));

  const samples = await scrapeUntil((now) => (valueOf(now, 'rgs_webhook_deliveries_total', { result: 'delivered' }) ?? 0) >= 1);
  t.true((valueOf(samples, 'rgs_http_requests_total', { method: 'POST', route: '/bets', status: '201' }) ?? 0) >= 1);
  t.true((valueOf(samples, 'rgs_bets_placed_total') ?? 0) >= 1);
  t.true((valueOf(samples, 'rgs_wallet_debit_calls_total') ?? 0) >= 1);
  t.not(valueOf(samples, 'rgs_wallet_debit_failures_total'), undefined);
  t.true((valueOf(samples, 'rgs_bet_settlement_seconds_count', { status: 'won' }) ?? 0) >= 1);
  t.true((valueOf(samples, 'rgs_statement_batch_size_count', { statement: 'bet_transition' }) ?? 0) >= 2, 'the won bet wrote two transitions');
  t.true((valueOf(samples, 'rgs_statement_batch_size_count', { statement: 'bet_insert' }) ?? 0) >= 1);
  t.true((valueOf(samples, 'rgs_wallet_calls_total', { kind: 'credit', outcome: 'applied' }) ?? 0) >= 1);
  t.is(valueOf(samples, 'rgs_wallet_calls_total', { kind: 'rollback', outcome: 'applied' }), 0, 'rollback series exist before any rollback');
  t.true((valueOf(samples, 'rgs_webhook_deliveries_total', { result: 'delivered' }) ?? 0) >= 1);
  t.true((valueOf(samples, 'rgs_sse_clients') ?? 0) >= 1, 'the open stream is counted');
  t.is(valueOf(samples, 'rgs_metrics_source_up', { source: 'postgres' }), 1);
  t.is(valueOf(samples, 'rgs_metrics_source_up', { source: 'redis' }), 1);
  t.true(Number.isInteger(valueOf(samples, 'rgs_outbox_depth')));
  t.true(Number.isInteger(valueOf(samples, 'rgs_bets_parked')));
  for (const queue of ['bet-debit', 'bet-credit', 'bet-rollback', 'webhook']) {
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      const depth = valueOf(samples, 'rgs_queue_jobs', { queue, state });
      t.true(Number.isInteger(depth) && depth! >= 0, `rgs_queue_jobs{queue="${queue}",state="${state}"} is ${depth}`);
    }
  }
});

test('the SSE clients gauge follows streams opening and closing', async (t) => {
  const operator = await createOperator(node());
  const before = valueOf((await scrape()).samples, 'rgs_sse_clients') ?? 0;
  const streams = await Promise.all([1, 2, 3].map(() => openSse(node().url, { apiKey: operator.apiKey })));
  t.true((valueOf((await scrape()).samples, 'rgs_sse_clients') ?? 0) >= 3);
  for (const stream of streams) stream.close();
  const after = await scrapeUntil((now) => (valueOf(now, 'rgs_sse_clients') ?? 0) <= before);
  t.true((valueOf(after, 'rgs_sse_clients') ?? 0) <= before, 'closed streams are no longer counted');
});

test('a deferred credit is counted in the outbox depth until it is paid, a parked bet in rgs_bets_parked', async (t) => {
  const credits = await withOwnWallet('deferred');
  await setFaults(credits.wallet.url, { credit: { errorRate: 1 } });
  const won = await credits.bet('win');
  await waitForBet(credits.client, won.body.id, new Set(['credit_pending']));

  const parks = await withOwnWallet('parked');
  await setFaults(parks.wallet.url, { debit: { errorRate: 1 }, rollback: { errorRate: 1 } });
  const failing = await parks.bet('lose');
  await waitForBet(parks.client, failing.body.id, new Set(['parked']));

  // This file's database holds no other deferred credit or parked bet.
  let samples = await scrapeUntil((now) => valueOf(now, 'rgs_outbox_depth') === 1 && valueOf(now, 'rgs_bets_parked') === 1);
  t.is(valueOf(samples, 'rgs_outbox_depth'), 1);
  t.is(valueOf(samples, 'rgs_bets_parked'), 1);

  await setFaults(credits.wallet.url, {});
  await credits.client.post(`/outbox/${won.body.id}/retry`);
  t.is((await waitForBet(credits.client, won.body.id)).status, 'won');
  samples = await scrapeUntil((now) => valueOf(now, 'rgs_outbox_depth') === 0);
  t.is(valueOf(samples, 'rgs_outbox_depth'), 0);
  t.is(valueOf(samples, 'rgs_bets_parked'), 1);
  t.true((valueOf(samples, 'rgs_wallet_calls_total', { kind: 'rollback', outcome: 'unknown' }) ?? 0) >= 1, 'failed rollbacks are counted');
});

test('paths with ids never become labels: a bet id stays /bets/:id, an unknown path is "unmatched"', async (t) => {
  const operator = await createOperator(node());
  const client = operator.client();
  const betId = randomUUID();
  const unknownId = randomUUID();
  t.is((await client.get(`/bets/${betId}`)).status, 404);
  t.is((await client.get(`/no-such-thing/${unknownId}`)).status, 404);
  t.is((await request('GET', `${node().url}/no-such-thing/${unknownId}`)).status, 401);

  const { text, samples } = await scrape();
  t.false(text.includes(betId));
  t.false(text.includes(unknownId));
  t.true((valueOf(samples, 'rgs_http_requests_total', { method: 'GET', route: '/bets/:id', status: '404' }) ?? 0) >= 1);
  t.true((valueOf(samples, 'rgs_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }) ?? 0) >= 1);
  t.true((valueOf(samples, 'rgs_http_requests_total', { method: 'GET', route: 'unmatched', status: '401' }) ?? 0) >= 1);
});

test('a scrape still answers when Postgres and Redis cannot be read: those gauges are left out or NaN, and their sources reported down', async (t) => {
  // A database that does not exist and a Redis port nothing listens on.
  const missingDatabase = new URL(cluster.database.url);
  missingDatabase.pathname = `/no_such_database_${randomUUID().slice(0, 8)}`;
  const broken = await startNode({
    databaseUrl: missingDatabase.toString(),
    redisPrefix: cluster.redisPrefix,
    name: 'node-blind',
    env: { REDIS_URL: 'redis://127.0.0.1:1', RGS_ROLES: 'api' },
  });
  t.teardown(() => broken.stop('SIGKILL'));
  const { samples } = await scrape(broken);
  t.true(Number.isNaN(valueOf(samples, 'rgs_outbox_depth')));
  t.true(Number.isNaN(valueOf(samples, 'rgs_bets_parked')));
  t.is(valueOf(samples, 'rgs_queue_jobs'), undefined, 'no stale or made-up queue depths');
  t.is(valueOf(samples, 'rgs_metrics_source_up', { source: 'postgres' }), 0);
  t.is(valueOf(samples, 'rgs_metrics_source_up', { source: 'redis' }), 0);
  t.is(valueOf(samples, 'rgs_bets_placed_total'), 0, 'the rest of the registry is there');
});
