import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { showsOutcome } from './outcome-spy.ts';
import { newBet, startMock, type MockClient } from './test-support.ts';

// Issue #17: the wallet as an adversary. While the spy is on, the mock looks every debit's
// bet and round up through the operator API before answering, and counts a leak when the
// outcome shows before the stake is taken.

interface Lookup {
  path: string;
  key: string | undefined;
  /** Whether the mock's ledger already held the debit when the lookup arrived. */
  debitApplied: boolean;
}

/** Plays the RGS's operator API: answers GET /bets/:id and /rounds/:id with `view` to the right key, 404 to others. */
async function fakeRgs(t: ExecutionContext, wallet: MockClient, keyOf: Record<string, string>) {
  const lookups: Lookup[] = [];
  const state = { view: { status: 'debiting', outcome: null as unknown, payout: 0 }, hang: false };
  const server = http.createServer((req, res) => {
    if (state.hang) return;
    void (async () => {
      const key = req.headers['x-operator-key'] as string | undefined;
      const items = (await wallet.request('GET', '/__ledger')).body.items as { kind: string }[];
      lookups.push({ path: req.url ?? '', key, debitApplied: items.some((item) => item.kind === 'debit') });
      const known = Object.values(keyOf).includes(key ?? '');
      res.writeHead(known ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(known ? state.view : { code: 'NOT_FOUND' }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lookups, state };
}

const spyReport = async (wallet: MockClient) => (await wallet.request('GET', '/__spy')).body;

test('while it holds a debit, the spy looks up the bet with its operator key and counts a shown outcome as a leak', async (t) => {
  const wallet = await startMock(t);
  const keys = { 'operator-a': 'key-a', 'operator-b': 'key-b' };
  const rgs = await fakeRgs(t, wallet, { 'operator-b': 'key-b' });
  rgs.state.view = { status: 'debiting', outcome: { roll: 12.34, win: true }, payout: 0 };
  t.like(await wallet.request('PUT', '/__spy', { rgsUrl: rgs.url, keys }), { status: 200, body: { enabled: true, lookups: 0, leaks: 0 } });

  const bet = newBet();
  t.is((await wallet.call('debit', bet.debit(100), { operatorId: 'operator-b' })).status, 200);
  t.deepEqual(rgs.lookups, [{ path: `/bets/${bet.betId}`, key: 'key-b', debitApplied: false }], 'looked up before the debit was applied, with that operator key only');
  const report = await spyReport(wallet);
  t.like(report, { enabled: true, lookups: 1, leaks: 1, errors: 0 });
  t.like((report.examples as unknown[])[0], { betId: bet.betId, transactionId: bet.debitId, route: 'bets', outcome: { roll: 12.34, win: true } });
  t.false(JSON.stringify(report).includes('key-b'), 'keys are never shown back');
});

test('the spy looks a bet up only with the key of the operator the debit names', async (t) => {
  const wallet = await startMock(t);
  const rgs = await fakeRgs(t, wallet, { 'operator-b': 'key-b' });
  await wallet.request('PUT', '/__spy', { rgsUrl: [rgs.url], keys: { 'operator-b': 'key-b' } });
  const bet = newBet();
  // Signed as operator-a, whose key the spy does not hold: never tried with B's key.
  t.is((await wallet.call('debit', bet.debit(100))).status, 200);
  t.deepEqual(rgs.lookups, []);
  t.like(await spyReport(wallet), { lookups: 0, leaks: 0 });
});

test('a payout above 0 or an outcome in the round view is a leak too', async (t) => {
  const wallet = await startMock(t);
  const rgs = await fakeRgs(t, wallet, { 'operator-a': 'key' });
  await wallet.request('PUT', '/__spy', { rgsUrl: rgs.url, keys: { 'operator-a': 'key' } });
  rgs.state.view = { status: 'debiting', outcome: null, payout: 250 };
  await wallet.call('debit', newBet().debit(100));
  t.like(await spyReport(wallet), { lookups: 1, leaks: 1 });
  t.true(showsOutcome({ id: 'round', outcome: { roll: 1, win: false } }));
  t.true(showsOutcome({ outcome: null, bet: { payout: 5 } }));
  t.false(showsOutcome({ outcome: null, payout: 0, bet: { payout: 0 } }));
});

test('what a bet shows after the mock answered its debit 200 is no leak (the RGS may have taken the stake)', async (t) => {
  const wallet = await startMock(t);
  const rgs = await fakeRgs(t, wallet, { 'operator-a': 'key' });
  await wallet.request('PUT', '/__spy', { rgsUrl: rgs.url, keys: { 'operator-a': 'key' } });
  const bet = newBet();
  t.is((await wallet.call('debit', bet.debit(100))).status, 200);
  rgs.state.view = { status: 'lost', outcome: { roll: 3, win: false }, payout: 0 };
  // A repeat of the answered debit (as after a node crash before its commit) is looked up again.
  t.is((await wallet.call('debit', bet.debit(100))).status, 200);
  t.like(await spyReport(wallet), { lookups: 2, leaks: 0 });
});

test('an RGS that never answers costs a bounded lookup: the debit is still answered and counted as a lookup error', async (t) => {
  const wallet = await startMock(t);
  const rgs = await fakeRgs(t, wallet, { 'operator-a': 'key' });
  rgs.state.hang = true;
  await wallet.request('PUT', '/__spy', { rgsUrl: [rgs.url, 'http://127.0.0.1:9'], keys: { 'operator-a': 'key' } });
  const bet = newBet();
  t.is((await wallet.call('debit', bet.debit(100))).status, 200);
  t.like(await spyReport(wallet), { lookups: 0, leaks: 0, errors: 1 });
});

test('PUT /__spy {} turns the spy off; a bad configuration is 400 and keeps the current one', async (t) => {
  const wallet = await startMock(t);
  const rgs = await fakeRgs(t, wallet, { 'operator-a': 'key' });
  await wallet.request('PUT', '/__spy', { rgsUrl: rgs.url, keys: { 'operator-a': 'key' } });
  for (const bad of [
    { rgsUrl: 'not a url', keys: { op: 'key' } },
    { rgsUrl: 'ftp://example.com', keys: { op: 'key' } },
    { rgsUrl: rgs.url },
    { keys: { op: 'key' } },
    { rgsUrl: rgs.url, keys: {} },
    { rgsUrl: rgs.url, keys: { op: 1 } },
    { rgsUrl: [], keys: { op: 'key' } },
    { rgsUrl: rgs.url, keys: { op: 'key' }, extra: true },
  ]) {
    const reply = await wallet.request('PUT', '/__spy', bad);
    t.is(reply.status, 400, JSON.stringify(bad));
    t.is(reply.body.code, 'VALIDATION_FAILED');
  }
  t.like(await spyReport(wallet), { enabled: true });
  t.like(await wallet.request('PUT', '/__spy', {}), { status: 200, body: { enabled: false } });
  await wallet.call('debit', newBet().debit(100));
  t.deepEqual(rgs.lookups, [], 'no lookup while off');
  t.is((await wallet.request('DELETE', '/__spy')).status, 405);
});
