import test from 'ava';
import { openDb, type Db } from '../src/shared/db.ts';
import { mulberry32 } from '../walletmock/seeded-random.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch, paramsFor, placeBet, setFaults, waitForBet } from './support/bets.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';

// SPEC §9: with OTEL_EXPORTER_OTLP_ENDPOINT set, a node exports traces over OTLP/HTTP in
// which a bet's request, its queue jobs, Postgres, Redis and the wallet calls are one
// trace, and its log lines carry that trace's id. A real node exports to a receiver
// running in this test.

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

let receiver: OtlpReceiver;
let cluster: TestCluster;
let db: Db;

test.before(async () => {
  receiver = await startOtlpReceiver();
  cluster = await startCluster({
    nodeEnv: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      LOG_LEVEL: 'debug',
      BET_RETRY_BASE_MS: '10',
      BET_RETRY_MAX_MS: '100',
    },
  });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
  await receiver?.close();
});

/**
 * A fault seed for the wallet mock (which draws once per debit or credit when both have
 * an error rate of 0.5): the first debit and the first credit fail, their retries pass.
 * Each retry then runs as a BullMQ job.
 */
function seedFailingFirstTries(): number {
  for (let seed = 1; ; seed++) {
    const draw = mulberry32(seed);
    const [debit1, debit2, credit1, credit2] = [draw(), draw(), draw(), draw()];
    if (debit1 < 0.5 && debit2 >= 0.5 && credit1 < 0.5 && credit2 >= 0.5) return seed;
  }
}

/** The names from `span` up through its parents, as far as they were exported. */
function ancestry(span: ReceivedSpan, trace: ReceivedSpan[]): string[] {
  const names: string[] = [];
  for (let current: ReceivedSpan | undefined = span; current; current = trace.find((candidate) => candidate.spanId === current?.parentSpanId)) {
    names.push(current.name);
  }
  return names;
}

test('a won bet whose debit and credit are retried by jobs is one trace, from the request to the last wallet call', async (t) => {
  const node = cluster.nodes[0]!;
  const operator = await createOperator(node);
  const client = operator.client();
  const session = await launch(client, 'player-traced');
  await setFaults(cluster.wallet.url, { seed: seedFailingFirstTries(), debit: { errorRate: 0.5 }, credit: { errorRate: 0.5 } });

  const placed = await placeBet(client, session, 1_000, await paramsFor(db, operator.id, 'player-traced', 'win'));
  t.true([201, 202].includes(placed.status));
  const bet = await waitForBet(client, placed.body.id);
  t.is(bet.status, 'won');

  // Children end (and are exported) before their parents: once the credit job's span and
  // the request's span are in, the whole trace is.
  const trace = await receiver.waitFor((spans) => {
    const request = spans.find((span) => span.kind === SERVER && span.name === 'POST /bets');
    if (!request) return undefined;
    const sameTrace = spans.filter((span) => span.traceId === request.traceId);
    return sameTrace.some((span) => span.kind === CONSUMER && span.name === 'process bet-credit') ? sameTrace : undefined;
  });
  const named = (name: string) => trace.filter((span) => span.name === name);

  t.is(named('POST /bets').length, 1, 'the request');
  t.is(named('bet.place').length, 1, 'the placement transaction');
  t.true(trace.some((span) => span.scope === '@opentelemetry/instrumentation-pg'), 'Postgres');
  t.true(trace.some((span) => span.scope === '@opentelemetry/instrumentation-ioredis'), 'Redis');
  t.is(named('process bet-debit').length, 1, 'the debit retry job');
  t.is(named('process bet-credit').length, 1, 'the credit retry job');
  t.deepEqual(
    named('bet.debit').map((span) => [span.attributes['rgs.bet.attempt'], span.attributes['rgs.wallet.result']]).sort(),
    [
      [1, 'unknown'],
      [2, 'applied'],
    ],
  );
  t.deepEqual(
    named('bet.settle').map((span) => [span.attributes['rgs.bet.step'], span.attributes['rgs.bet.attempt'], span.attributes['rgs.wallet.result']]).sort(),
    [
      ['credit', 1, 'unknown'],
      ['credit', 2, 'applied'],
    ],
  );
  const walletCalls = trace
    .filter((span) => span.kind === CLIENT && span.scope === '@opentelemetry/instrumentation-undici')
    .map((span) => new URL(String(span.attributes['url.full'])).pathname)
    .sort();
  t.deepEqual(walletCalls, ['/wallet/credit', '/wallet/credit', '/wallet/debit', '/wallet/debit'], 'every wallet call');

  // The credit job's span leads back, parent by parent, to the request: child-of, not linked.
  const path = ancestry(named('process bet-credit')[0]!, trace);
  t.is(path.at(-1), 'POST /bets');
  const hops = path.filter((name) => name.startsWith('process ') || name.startsWith('add ') || name.startsWith('bet.'));
  // The first credit runs in process right after the debit's success is committed (inside
  // bet.debit); its failure enqueues the retry job.
  t.deepEqual(hops, ['process bet-credit', 'add bet-credit.credit', 'bet.settle', 'bet.debit', 'process bet-debit', 'add bet-debit.debit', 'bet.debit']);

  t.true(trace.every((span) => span.resource['service.name'] === 'rgs' && span.resource['service.instance.id'] === node.name));

  // The request's log line carries the trace's id.
  const requestLine = node.logs
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { traceId?: string; req?: { method?: string; url?: string } })
    .find((line) => line.req?.method === 'POST' && line.req.url === '/bets');
  t.is(requestLine?.traceId, trace[0]!.traceId);
});
