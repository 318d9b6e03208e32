import test from 'ava';
import { newBet, startMock } from './test-support.ts';

test('a body that is not JSON is 400 VALIDATION_FAILED', async (t) => {
  const wallet = await startMock(t);
  const reply = await wallet.call('debit', undefined, { rawBody: '{"transactionId":' });
  t.is(reply.status, 400);
  t.is(reply.body.code, 'VALIDATION_FAILED');
  t.like(await wallet.stats('debit'), { invalid: 1 });
});

test('bodies that break the protocol are 400 and apply nothing', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const bad: [string, unknown][] = [
    ['an empty body', {}],
    ['an array', [bet.debit(1)]],
    ['null', null],
    ['a zero amount', bet.debit(0)],
    ['a negative amount', bet.debit(-5)],
    ['a fractional amount', bet.debit(1.5)],
    ['an amount beyond safe integers', bet.debit(2 ** 53)],
    ['an amount as a string', { ...bet.debit(1), amount: '1' }],
    ['a lowercase currency', { ...bet.debit(1), currency: 'eur' }],
    ['a four-letter currency', { ...bet.debit(1), currency: 'EURO' }],
    ['an empty transactionId', { ...bet.debit(1), transactionId: '' }],
    ['a missing roundId', { ...bet.debit(1), roundId: undefined }],
    ['an unknown field', { ...bet.debit(1), sessionId: 's' }],
  ];
  for (const [name, body] of bad) {
    const reply = await wallet.call('debit', body);
    t.is(reply.status, 400, name);
    t.is(reply.body.code, 'VALIDATION_FAILED', name);
  }
  t.is((await wallet.call('credit', bet.debit(1))).status, 400, 'a debit body sent as credit');
  t.is((await wallet.call('rollback', bet.credit(1))).status, 400, 'a credit body sent as rollback');
  t.deepEqual(await wallet.ledger(), []);
});

test('a body over 64 KiB is 413', async (t) => {
  const wallet = await startMock(t);
  const reply = await wallet.call('debit', { ...newBet().debit(1), transactionId: 'x'.repeat(70_000) });
  t.deepEqual(reply, { status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
});

test('unknown routes are 404 and wrong methods 405', async (t) => {
  const wallet = await startMock(t);
  t.deepEqual(await wallet.request('GET', '/wallet/withdraw'), { status: 404, body: { code: 'NOT_FOUND' } });
  t.deepEqual(await wallet.request('GET', '/wallet/debit'), { status: 405, body: { code: 'METHOD_NOT_ALLOWED' } });
  t.is((await wallet.request('POST', '/__ledger', {})).status, 405);
  t.is((await wallet.request('DELETE', '/__faults')).status, 405);
});

test('bad test-route input is 400, never 500', async (t) => {
  const wallet = await startMock(t);
  t.is((await wallet.request('PUT', '/__faults', 'not json')).status, 400);
  t.is((await wallet.request('PUT', '/__players/p1?operatorId=operator-a', { balance: { EUR: -1 } })).status, 400);
  t.is((await wallet.request('PUT', '/__players/p1?operatorId=operator-a', { balance: { eur: 1 } })).status, 400);
  t.is((await wallet.request('PUT', '/__players/p1?operatorId=operator-a', { blocked: 'yes' })).status, 400);
  t.is((await wallet.request('PUT', '/__players/?operatorId=operator-a', { blocked: true })).status, 400);
  t.is((await wallet.request('GET', '/wallet/balance/p1?currency=euro&operatorId=operator-a')).status, 400);
  t.is((await wallet.request('GET', '/wallet/balance/%E0%A4%A')).status, 400);
  t.is((await wallet.request('GET', '/__ledger?player=p1')).status, 400);
});

test('a player id names no wallet without its operator: the balance and player routes need ?operatorId=', async (t) => {
  const wallet = await startMock(t);
  for (const [method, path, body] of [
    ['GET', '/wallet/balance/p1?currency=EUR', undefined],
    ['GET', '/wallet/balance/p1?currency=EUR&operatorId=', undefined],
    ['PUT', '/__players/p1', { blocked: true }],
  ] as const) {
    const reply = await wallet.request(method, path, body);
    t.is(reply.status, 400, path);
    t.like(reply.body, { code: 'VALIDATION_FAILED', issues: [{ path: 'operatorId' }] }, path);
  }
  t.deepEqual(await wallet.ledger(), []);
});

test('setting a player balance and block flag shows in the answer and the balance route', async (t) => {
  const wallet = await startMock(t);
  const reply = await wallet.setPlayer('p-7', { blocked: true, balance: { EUR: 42, USD: 7 }, debitLimit: 100 });
  t.deepEqual(reply, {
    status: 200,
    body: { operatorId: 'operator-a', playerId: 'p-7', blocked: true, currency: null, balances: { EUR: 42, USD: 7 }, debitLimit: 100, staked: 0 },
  });
  t.is(await wallet.balance('p-7', 'USD'), 7);
});
