import http from 'node:http';
import test from 'ava';
import { runFuzz } from './fuzz/run.ts';
import { startFuzzTarget, stateDiff, type FuzzTarget } from './fuzz/target.ts';
import { send, type WireRequest } from './fuzz/wire.ts';

// SPEC §3/§10.4: bad input of any kind is a 4xx problem+json, never a 5xx, and changes
// nothing — on the node's public and admin routes, and on the wallet mock (4xx JSON with a
// code, its books unchanged). The generators live in test/fuzz/ and are shared with
// `npm run fuzz` (10,000 cases); here a few hundred run with every `npm test`. FUZZ_SEED
// replays a failure.

// Enough that each of the 49 routes (node and mock) gets cases in any run.
const RUNS = 600;

let target: FuzzTarget;
const agent = new http.Agent({ keepAlive: false });

test.before(async () => {
  target = await startFuzzTarget();
});

test.after.always(async () => {
  agent.destroy();
  await target?.stop();
});

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;

test.serial(`${RUNS} generated invalid requests, across every route of the node and the wallet mock, are all 4xx and change no row and no wallet book`, async (t) => {
  const report = await runFuzz(target, { runs: RUNS, seed });
  t.log(`seed ${report.seed}: ${report.runs} cases in ${(report.durationMs / 1000).toFixed(1)} s; statuses ${JSON.stringify(report.statuses)}`);
  t.is(report.failure, undefined, report.failure);
  const untouched = Object.entries(report.byRoute).filter(([, count]) => count === 0).map(([route]) => route);
  t.deepEqual(untouched, [], 'every route of the app and of the wallet mock got cases');
  t.true((report.byListener.admin ?? 0) > 0 && (report.byListener.walletmock ?? 0) > 0, JSON.stringify(report.byListener));
});

// Defects the fuzzer found, kept as plain regression tests.

async function expectProblem(t: import('ava').ExecutionContext, request: WireRequest, status: number, code?: string) {
  const before = await target.state();
  const answer = await send(target.baseUrl, request, agent);
  t.is(answer.status, status, `${request.method} ${request.path.slice(0, 80)}`);
  t.true(answer.contentType.startsWith('application/problem+json'), answer.contentType);
  const problem = JSON.parse(answer.text) as { code: string; status: number };
  t.is(problem.status, status);
  if (code) t.is(problem.code, code);
  t.deepEqual(stateDiff(before, await target.state()), []);
}

test.serial('a request line or headers over 16 KiB are refused with 431 problem+json, not a bare status line', async (t) => {
  const key = { 'x-operator-key': target.fixtures.apiKey };
  await expectProblem(t, { method: 'GET', path: `/bets/${'x'.repeat(20_000)}`, headers: key }, 431, 'HEADERS_TOO_LARGE');
  await expectProblem(t, { method: 'GET', path: '/bets', headers: { ...key, 'x-padding': 'y'.repeat(20_000) } }, 431, 'HEADERS_TOO_LARGE');
});

test.serial('raw non-ASCII bytes in the request target are refused with 400 problem+json', async (t) => {
  const path = `/bets/${Buffer.from('💥é', 'utf8').toString('latin1')}`;
  await expectProblem(t, { method: 'GET', path, headers: { 'x-operator-key': target.fixtures.apiKey } }, 400, 'MALFORMED_REQUEST');
});

test.serial('a from/to with a UTC offset Postgres cannot hold is 400, not 500', async (t) => {
  const headers = { 'x-operator-key': target.fixtures.apiKey };
  for (const list of ['/transactions', '/audit']) {
    for (const bound of ['from', 'to']) {
      for (const value of ['2031-01-01T00:00:00+16:00', '2031-01-01T00:00:00-23:59']) {
        await expectProblem(t, { method: 'GET', path: `${list}?${bound}=${encodeURIComponent(value)}`, headers }, 400, 'VALIDATION_FAILED');
      }
    }
    // The widest offsets Postgres takes still work.
    const widest = await send(target.baseUrl, { method: 'GET', path: `${list}?from=${encodeURIComponent('2020-01-01T00:00:00-15:59')}`, headers }, agent);
    t.is(widest.status, 200, list);
  }
});

test.serial('a forged cursor whose timestamp Postgres cannot read is 400 on every list that pages by created_at', async (t) => {
  const headers = { 'x-operator-key': target.fixtures.apiKey };
  const forged = [
    ['2031-02-30T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000'],
    ['2031-02-30 00:00:00+00', '00000000-0000-4000-8000-000000000000'],
    ['2031-01-01 00:00:00+99', '00000000-0000-4000-8000-000000000000'],
    ['a', 'b'],
    ['2031-01-01 00:00:00.123456+00', 'not-a-uuid'],
  ].map((position) => Buffer.from(JSON.stringify(position)).toString('base64url'));
  for (const list of ['/bets', '/outbox', '/webhooks/deliveries']) {
    for (const cursor of forged) await expectProblem(t, { method: 'GET', path: `${list}?cursor=${cursor}`, headers }, 400, 'VALIDATION_FAILED');
    // A position as these lists write it is accepted.
    const real = Buffer.from(JSON.stringify(['2031-01-01 00:00:00.123456+00', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    t.is((await send(target.baseUrl, { method: 'GET', path: `${list}?cursor=${real}`, headers }, agent)).status, 200, list);
  }
});

test.serial('the wallet mock answers a request line or headers over 16 KiB with 431 JSON, not a bare status line', async (t) => {
  const before = await target.state();
  const requests: WireRequest[] = [
    { method: 'POST', path: '/wallet/debit', headers: { 'x-signature': 'z'.repeat(20_000) }, body: '{}' },
    { method: 'GET', path: `/wallet/balance/${'p'.repeat(20_000)}`, headers: {} },
  ];
  for (const request of requests) {
    const answer = await send(target.walletUrl, request, agent);
    t.is(answer.status, 431);
    t.true(answer.contentType.startsWith('application/json'), answer.contentType);
    t.deepEqual(JSON.parse(answer.text), { code: 'HEADERS_TOO_LARGE' });
  }
  t.deepEqual(stateDiff(before, await target.state()), []);
});

test.serial("the state the fuzzer compares includes the wallet mock's books: a change of its faults is seen", async (t) => {
  const before = await target.state();
  const put = (body: unknown) => send(target.walletUrl, { method: 'PUT', path: '/__faults', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, agent);
  t.is((await put({ debit: { latencyMs: 1 } })).status, 200);
  t.deepEqual(stateDiff(before, await target.state()), ['walletmock /__faults: 1 → 1 rows (contents changed)']);
  t.is((await put({})).status, 200);
  t.deepEqual(stateDiff(before, await target.state()), []);
});
