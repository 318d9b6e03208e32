import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import test, { type ExecutionContext } from 'ava';
import { newBet, sign, startBalance, startMock, testSecret, type MockClient, type SignOptions } from './test-support.ts';

const fiveMinutes = 5 * 60 * 1000;

async function assertNothingApplied(t: ExecutionContext, wallet: MockClient, playerId: string) {
  t.deepEqual(await wallet.ledger(), []);
  t.is(await wallet.balance(playerId), startBalance);
}

test('a request signed with another secret is 401 BAD_SIGNATURE and applies nothing', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const reply = await wallet.call('debit', bet.debit(100), { secret: 'not-the-secret' });
  t.deepEqual(reply, { status: 401, body: { code: 'BAD_SIGNATURE' } });
  await assertNothingApplied(t, wallet, bet.playerId);
  t.like(await wallet.stats('debit'), { unauthorized: 1, applied: 0 });
});

test('a body changed after signing is 401 BAD_SIGNATURE', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const timestamp = String(Date.now());
  const requestId = 'a5b2d9e0-6c5e-4f8e-9a43-1f0c2a6b7d11';
  const signature = sign(testSecret, { timestamp, requestId, path: '/wallet/debit', rawBody: JSON.stringify(bet.debit(100)) });
  const reply = await wallet.call('debit', undefined, {
    rawBody: JSON.stringify(bet.debit(1)),
    timestamp,
    requestId,
    signature,
  });
  t.deepEqual(reply, { status: 401, body: { code: 'BAD_SIGNATURE' } });
  await assertNothingApplied(t, wallet, bet.playerId);
});

// SPEC §6: the signature covers the method, the path and the operator, not only the body,
// so a signed request is valid only as the request it was signed as.
test('a signature made for another path is 401 BAD_SIGNATURE and applies nothing', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  // A debit sent to /wallet/debit but signed for another route, under a base path, or with a query.
  for (const path of ['/wallet/rollback', '/wallet/credit', '/api/wallet/debit', '/wallet/debit?x=1']) {
    const reply = await wallet.call('debit', bet.debit(100), { signedFor: { path } });
    t.deepEqual(reply, { status: 401, body: { code: 'BAD_SIGNATURE' } }, path);
  }
  await assertNothingApplied(t, wallet, bet.playerId);
});

test('a signature made for another method is 401 BAD_SIGNATURE and applies nothing', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  for (const method of ['GET', 'PUT', 'post']) {
    const reply = await wallet.call('debit', bet.debit(100), { signedFor: { method } });
    t.deepEqual(reply, { status: 401, body: { code: 'BAD_SIGNATURE' } }, method);
  }
  await assertNothingApplied(t, wallet, bet.playerId);
});

test("a signature made for another operator is 401 BAD_SIGNATURE and touches neither operator's books", async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const reply = await wallet.call('debit', bet.debit(100), { operatorId: 'operator-b', signedFor: { operatorId: 'operator-a' } });
  t.deepEqual(reply, { status: 401, body: { code: 'BAD_SIGNATURE' } });
  t.deepEqual(await wallet.ledger(), []);
  t.is(await wallet.balance(bet.playerId, 'EUR', 'operator-a'), startBalance);
  t.is(await wallet.balance(bet.playerId, 'EUR', 'operator-b'), startBalance);
});

test('a request is booked to the operator its signature names', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  t.is((await wallet.call('debit', bet.debit(100), { operatorId: 'operator-b' })).status, 200);
  t.like(await wallet.ledger(), [{ transactionId: bet.debitId, operatorId: 'operator-b' }]);
  t.is(await wallet.balance(bet.playerId, 'EUR', 'operator-b'), startBalance - 100);
  t.is(await wallet.balance(bet.playerId, 'EUR', 'operator-a'), startBalance);
});

test('missing signature headers or a malformed signature are 401 BAD_SIGNATURE', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  for (const header of ['x-signature', 'x-timestamp', 'x-request-id', 'x-operator-id'] as const) {
    const reply = await wallet.call('debit', bet.debit(100), { omit: [header] });
    t.deepEqual(reply, { status: 401, body: { code: 'BAD_SIGNATURE' } }, header);
  }
  const short = await wallet.call('debit', bet.debit(100), { signature: 'abc' });
  t.deepEqual(short, { status: 401, body: { code: 'BAD_SIGNATURE' } });
  await assertNothingApplied(t, wallet, bet.playerId);
});

test('a timestamp more than five minutes old is 401 STALE_TIMESTAMP', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const reply = await wallet.call('debit', bet.debit(100), { timestamp: String(Date.now() - fiveMinutes - 1000) });
  t.deepEqual(reply, { status: 401, body: { code: 'STALE_TIMESTAMP' } });
  await assertNothingApplied(t, wallet, bet.playerId);
});

test('a timestamp more than five minutes ahead is 401 STALE_TIMESTAMP', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  // A minute past the bound, so a slow machine's own delay cannot bring it back inside.
  const reply = await wallet.call('debit', bet.debit(100), { timestamp: String(Date.now() + fiveMinutes + 60_000) });
  t.deepEqual(reply, { status: 401, body: { code: 'STALE_TIMESTAMP' } });
  await assertNothingApplied(t, wallet, bet.playerId);
});

test('a timestamp that is not unix milliseconds is 401 STALE_TIMESTAMP', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const reply = await wallet.call('debit', bet.debit(100), { timestamp: new Date().toISOString() });
  t.deepEqual(reply, { status: 401, body: { code: 'STALE_TIMESTAMP' } });
  await assertNothingApplied(t, wallet, bet.playerId);
});

test('a clock a few minutes off either way is still accepted', async (t) => {
  const wallet = await startMock(t);
  const behind = newBet();
  const ahead = newBet();
  const fourMinutes = 4 * 60 * 1000;
  t.is((await wallet.call('debit', behind.debit(1), { timestamp: String(Date.now() - fourMinutes) })).status, 200);
  t.is((await wallet.call('debit', ahead.debit(1), { timestamp: String(Date.now() + fourMinutes) })).status, 200);
});

test('a request id seen before is 401 REPLAYED_REQUEST and applies nothing', async (t) => {
  const wallet = await startMock(t);
  const first = newBet();
  const second = newBet();
  const requestId = 'f3c0a1e2-7d4b-4c55-8a9e-2b1d0e6f5a77';
  t.is((await wallet.call('debit', first.debit(100), { requestId })).status, 200);
  const replay = await wallet.call('debit', second.debit(100), { requestId });
  t.deepEqual(replay, { status: 401, body: { code: 'REPLAYED_REQUEST' } });
  t.is((await wallet.ledger()).length, 1);
  t.is(await wallet.balance(second.playerId), startBalance);
});

test('an exact replay of a whole signed request is refused, not answered again', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const sent = { requestId: '0b9f1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d', timestamp: String(Date.now()) };
  t.is((await wallet.call('credit', bet.credit(100), sent)).status, 200);
  t.deepEqual(await wallet.call('credit', bet.credit(100), sent), {
    status: 401,
    body: { code: 'REPLAYED_REQUEST' },
  });
  t.like(await wallet.stats('credit'), { applied: 1, unauthorized: 1, duplicate: 0 });
});

test('a refused signature does not burn the request id', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const requestId = '5d6e7f80-9a1b-4c2d-8e3f-405162738495';
  t.is((await wallet.call('debit', bet.debit(100), { requestId, secret: 'wrong' })).status, 401);
  t.is((await wallet.call('debit', bet.debit(100), { requestId })).status, 200);
});

test('every configured secret is accepted, so operators can share one mock', async (t) => {
  const wallet = await startMock(t, { secrets: ['operator-a-secret', 'operator-b-secret'] });
  const first = newBet();
  const second = newBet();
  t.is((await wallet.call('debit', first.debit(1), { secret: 'operator-a-secret' })).status, 200);
  t.is((await wallet.call('debit', second.debit(1), { secret: 'operator-b-secret' })).status, 200);
  t.is((await wallet.call('debit', newBet().debit(1), { secret: 'operator-c-secret' })).status, 401);
});

test('test and ops routes need no signature', async (t) => {
  const wallet = await startMock(t);
  for (const path of ['/__faults', '/__ledger', '/__stats', '/wallet/balance/someone?currency=EUR&operatorId=operator-a', '/health']) {
    t.is((await wallet.request('GET', path)).status, 200, path);
  }
});

// Every money operation, not only debits: a refused request applies nothing (balance and
// ledger as before) and burns nothing (the same transaction, properly signed, applies once).
type Refusal = { name: string; code: string; options: (first: string) => SignOptions };
const refusals: Refusal[] = [
  { name: 'a bad signature', code: 'BAD_SIGNATURE', options: () => ({ secret: 'not-the-secret' }) },
  { name: 'a stale timestamp', code: 'STALE_TIMESTAMP', options: () => ({ timestamp: String(Date.now() - fiveMinutes - 1000) }) },
  { name: 'a future timestamp', code: 'STALE_TIMESTAMP', options: () => ({ timestamp: String(Date.now() + fiveMinutes + 1000) }) },
  { name: 'a replayed request id', code: 'REPLAYED_REQUEST', options: (first) => ({ requestId: first }) },
];

for (const operation of ['debit', 'credit', 'rollback'] as const) {
  for (const refusal of refusals) {
    test(`a ${operation} with ${refusal.name} is 401 ${refusal.code}, applies nothing, and the same ${operation} properly signed applies once`, async (t) => {
      const wallet = await startMock(t);
      const bet = newBet();
      // The debit a credit or rollback refers to is applied first, under a request id the refused call then replays.
      const firstRequestId = randomUUID();
      const body = operation === 'debit' ? bet.debit(300) : operation === 'credit' ? bet.credit(900) : bet.rollback(300);
      const setup = operation === 'debit' ? newBet().debit(1) : bet.debit(300);
      t.is((await wallet.call('debit', setup, { requestId: firstRequestId })).status, 200);
      const ledgerBefore = await wallet.ledger();
      const balanceBefore = await wallet.balance(bet.playerId);

      const refused = await wallet.call(operation, body, refusal.options(firstRequestId));
      t.deepEqual(refused, { status: 401, body: { code: refusal.code } });
      t.deepEqual(await wallet.ledger(), ledgerBefore, 'the ledger is unchanged');
      t.is(await wallet.balance(bet.playerId), balanceBefore, 'the balance is unchanged');

      const applied = await wallet.call(operation, body);
      t.is(applied.status, 200);
      const moved = operation === 'debit' ? -300 : operation === 'credit' ? 900 : 300;
      t.is(await wallet.balance(bet.playerId), balanceBefore + moved, 'applied exactly once');
      t.is((await wallet.ledger()).length, ledgerBefore.length + 1);
    });
  }
}

test('a replay sent while the original is still being answered is refused, and only the original applies', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ debit: { latencyMs: 300 } });
  const original = newBet();
  const copy = newBet();
  const requestId = randomUUID();
  // The replay leaves once the original's body has been read (its id is remembered then, before the delay).
  const originalRead = new Promise<void>((resolve) => wallet.mock.server.once('request', (req: IncomingMessage) => req.once('end', () => resolve())));
  const first = wallet.call('debit', original.debit(100), { requestId });
  await originalRead;
  const replay = await wallet.call('debit', copy.debit(100), { requestId });
  t.deepEqual(replay, { status: 401, body: { code: 'REPLAYED_REQUEST' } });
  t.is((await first).status, 200);
  t.is(await wallet.balance(original.playerId), startBalance - 100);
  t.is(await wallet.balance(copy.playerId), startBalance);
  t.deepEqual((await wallet.ledger()).map((item) => item.betId), [original.betId]);
});
