import test from 'ava';
import { newBet, startBalance, startMock } from './test-support.ts';

test('a debit takes the amount and answers with the new balance', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const reply = await wallet.call('debit', bet.debit(300));
  t.deepEqual(reply, { status: 200, body: { transactionId: bet.debitId, balance: startBalance - 300 } });
  t.is(await wallet.balance(bet.playerId), startBalance - 300);
});

test('a credit pays the win onto the balance', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.call('debit', bet.debit(300));
  const reply = await wallet.call('credit', bet.credit(900));
  t.deepEqual(reply, { status: 200, body: { transactionId: bet.creditId, balance: startBalance + 600 } });
  t.is(await wallet.balance(bet.playerId), startBalance + 600);
});

test('a rollback gives the debited amount back and marks the debit rolled back', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.call('debit', bet.debit(300));
  const reply = await wallet.call('rollback', bet.rollback(300));
  t.deepEqual(reply, { status: 200, body: { transactionId: bet.rollbackId, balance: startBalance } });
  const items = await wallet.ledger(bet.playerId);
  t.like(items, [
    { transactionId: bet.debitId, kind: 'debit', status: 'rolled_back', code: null },
    { transactionId: bet.rollbackId, kind: 'rollback', status: 'applied', roundId: null },
  ]);
});

test('the ledger lists one item per transaction with every field', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.call('debit', bet.debit(300));
  await wallet.call('credit', bet.credit(500));
  const items = await wallet.ledger(bet.playerId);
  t.is(items.length, 2);
  const [debit, credit] = items;
  t.deepEqual({ ...debit, at: undefined }, {
    transactionId: bet.debitId,
    kind: 'debit',
    operatorId: 'operator-a',
    playerId: bet.playerId,
    currency: 'EUR',
    amount: 300,
    betId: bet.betId,
    roundId: bet.roundId,
    debitTransactionId: null,
    status: 'applied',
    code: null,
    at: undefined,
  });
  t.like(credit, { kind: 'credit', debitTransactionId: bet.debitId, amount: 500, status: 'applied' });
  const at = debit?.at ?? '';
  t.is(new Date(at).toISOString(), at);
});

test('the ledger can be filtered by player', async (t) => {
  const wallet = await startMock(t);
  const first = newBet();
  const second = newBet();
  await wallet.call('debit', first.debit(1));
  await wallet.call('debit', second.debit(2));
  t.is((await wallet.ledger()).length, 2);
  t.deepEqual(
    (await wallet.ledger(second.playerId)).map((item) => item.transactionId),
    [second.debitId],
  );
});

// SPEC §6: the wallet's books are kept per (operator, playerId).
test('the same player id under two operators is two wallets', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.setPlayer(bet.playerId, { balance: { EUR: 500 } }, 'operator-b');
  t.is((await wallet.call('debit', bet.debit(300), { operatorId: 'operator-a' })).status, 200);
  t.is(await wallet.balance(bet.playerId, 'EUR', 'operator-a'), startBalance - 300);
  t.is(await wallet.balance(bet.playerId, 'EUR', 'operator-b'), 500, "operator A's debit leaves B's player untouched");

  // The same bet's debit under B is B's own transaction: not a repeat of A's, and B's funds decide.
  const underB = await wallet.call('debit', bet.debit(600), { operatorId: 'operator-b' });
  t.deepEqual(underB, { status: 402, body: { code: 'INSUFFICIENT_FUNDS', balance: 500 } });
  t.like(await wallet.ledger(bet.playerId), [
    { transactionId: bet.debitId, operatorId: 'operator-a', status: 'applied' },
    { transactionId: bet.debitId, operatorId: 'operator-b', status: 'refused' },
  ]);
  t.deepEqual(
    (await wallet.ledger(undefined, 'operator-b')).map((item) => `${item.operatorId}:${item.status}`),
    ['operator-b:refused'],
  );
});

test("a rollback under one operator neither refunds nor tombstones another operator's debit", async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  t.is((await wallet.call('debit', bet.debit(300), { operatorId: 'operator-a' })).status, 200);
  t.like(await wallet.call('rollback', bet.rollback(300), { operatorId: 'operator-b' }), { status: 200 });
  t.is(await wallet.balance(bet.playerId, 'EUR', 'operator-a'), startBalance - 300, "A's debit is still held");
  t.is(await wallet.balance(bet.playerId, 'EUR', 'operator-b'), startBalance);
  t.like(await wallet.ledger(undefined, 'operator-b'), [{ kind: 'rollback', status: 'tombstone' }]);
  t.like(await wallet.ledger(undefined, 'operator-a'), [{ kind: 'debit', status: 'applied' }]);
});

test('a repeated debit returns the first answer, moves no money and adds no ledger item', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const first = await wallet.call('debit', bet.debit(300));
  await wallet.call('credit', bet.credit(100));
  const repeat = await wallet.call('debit', bet.debit(300));
  t.deepEqual(repeat, first);
  t.is(await wallet.balance(bet.playerId), startBalance - 200);
  t.is((await wallet.ledger(bet.playerId)).length, 2);
  t.like(await wallet.stats('debit'), { applied: 1, duplicate: 1 });
});

test('repeated credits and rollbacks are idempotent too', async (t) => {
  const wallet = await startMock(t);
  const won = newBet();
  await wallet.call('debit', won.debit(100));
  const credit = await wallet.call('credit', won.credit(250));
  t.deepEqual(await wallet.call('credit', won.credit(250)), credit);

  const cancelled = newBet();
  await wallet.call('debit', cancelled.debit(100));
  const rollback = await wallet.call('rollback', cancelled.rollback(100));
  t.deepEqual(await wallet.call('rollback', cancelled.rollback(100)), rollback);

  t.is(await wallet.balance(won.playerId), startBalance + 150);
  t.is(await wallet.balance(cancelled.playerId), startBalance);
  t.is((await wallet.ledger()).length, 4);
});

test('a repeated refusal returns the same refusal even after the cause is gone', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.setPlayer(bet.playerId, { balance: { EUR: 50 } });
  const first = await wallet.call('debit', bet.debit(100));
  await wallet.setPlayer(bet.playerId, { balance: { EUR: 5000 } });
  t.deepEqual(await wallet.call('debit', bet.debit(100)), first);
  t.is(await wallet.balance(bet.playerId), 5000);
});

test('a known transactionId with different parameters is 409 DUPLICATE_TRANSACTION', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.call('debit', bet.debit(300));
  const conflict = await wallet.call('debit', bet.debit(301));
  t.deepEqual(conflict, { status: 409, body: { code: 'DUPLICATE_TRANSACTION' } });
  const asCredit = await wallet.call('credit', { ...bet.credit(300), transactionId: bet.debitId });
  t.deepEqual(asCredit, { status: 409, body: { code: 'DUPLICATE_TRANSACTION' } });
  t.is(await wallet.balance(bet.playerId), startBalance - 300);
  t.like(await wallet.ledger(bet.playerId), [{ amount: 300, status: 'applied' }]);
});

test('a debit beyond the balance is 402 INSUFFICIENT_FUNDS with the balance', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const reply = await wallet.call('debit', bet.debit(startBalance + 1));
  t.deepEqual(reply, { status: 402, body: { code: 'INSUFFICIENT_FUNDS', balance: startBalance } });
  t.is(await wallet.balance(bet.playerId), startBalance);
  t.like(await wallet.ledger(bet.playerId), [{ status: 'refused', code: 'INSUFFICIENT_FUNDS' }]);
});

test('a debit of the whole balance is allowed', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  t.is((await wallet.call('debit', bet.debit(startBalance))).status, 200);
  t.is(await wallet.balance(bet.playerId), 0);
});

test('a blocked player is refused with 403 PLAYER_BLOCKED but still paid credits', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.call('debit', bet.debit(100));
  const set = await wallet.setPlayer(bet.playerId, { blocked: true });
  t.like(set.body, { playerId: bet.playerId, blocked: true, currency: 'EUR' });

  const other = { ...bet.debit(100), transactionId: 'another-debit' };
  t.deepEqual(await wallet.call('debit', other), { status: 403, body: { code: 'PLAYER_BLOCKED' } });
  t.is((await wallet.call('credit', bet.credit(400))).status, 200);
  t.is(await wallet.balance(bet.playerId), startBalance + 300);
});

test('a debit past the player limit is 403 LIMIT_REACHED', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.setPlayer(bet.playerId, { debitLimit: 150 });
  t.is((await wallet.call('debit', bet.debit(100))).status, 200);
  const second = { ...bet.debit(100), transactionId: 'second-debit' };
  t.deepEqual(await wallet.call('debit', second), { status: 403, body: { code: 'LIMIT_REACHED' } });
  // A rollback frees the staked amount again.
  await wallet.call('rollback', bet.rollback(100));
  const third = { ...bet.debit(100), transactionId: 'third-debit' };
  t.is((await wallet.call('debit', third)).status, 200);
});

test('a player is bound to its first currency: a debit in another is 409 CURRENCY_MISMATCH', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet('EUR');
  await wallet.call('debit', bet.debit(100));
  const inDollars = { ...bet.debit(100), transactionId: 'usd-debit', currency: 'USD' };
  t.deepEqual(await wallet.call('debit', inDollars), { status: 409, body: { code: 'CURRENCY_MISMATCH' } });
  const creditInDollars = { ...bet.credit(100), currency: 'USD' };
  t.is((await wallet.call('credit', creditInDollars)).status, 409);
  t.is(await wallet.balance(bet.playerId, 'USD'), startBalance);
  t.is(await wallet.balance(bet.playerId, 'EUR'), startBalance - 100);
});

test('a rollback of a debit never seen leaves a tombstone that refuses the late debit', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  const rollback = await wallet.call('rollback', bet.rollback(100));
  t.deepEqual(rollback, { status: 200, body: { transactionId: bet.rollbackId, balance: startBalance } });
  const late = await wallet.call('debit', bet.debit(100));
  t.deepEqual(late, { status: 409, body: { code: 'TRANSACTION_ROLLED_BACK' } });
  t.is(await wallet.balance(bet.playerId), startBalance);
  t.like(await wallet.ledger(bet.playerId), [
    { transactionId: bet.rollbackId, kind: 'rollback', status: 'tombstone' },
    { transactionId: bet.debitId, kind: 'debit', status: 'refused', code: 'TRANSACTION_ROLLED_BACK' },
  ]);
});

test('a credit for a rolled-back debit is 409 DEBIT_ROLLED_BACK', async (t) => {
  const wallet = await startMock(t);
  const applied = newBet();
  await wallet.call('debit', applied.debit(100));
  await wallet.call('rollback', applied.rollback(100));
  t.deepEqual(await wallet.call('credit', applied.credit(200)), {
    status: 409,
    body: { code: 'DEBIT_ROLLED_BACK' },
  });

  const neverSeen = newBet();
  await wallet.call('rollback', neverSeen.rollback(100));
  t.is((await wallet.call('credit', neverSeen.credit(200))).body.code, 'DEBIT_ROLLED_BACK');
  t.is(await wallet.balance(applied.playerId), startBalance);
});

test('a credited debit cannot be rolled back: 409 ALREADY_SETTLED', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.call('debit', bet.debit(100));
  await wallet.call('credit', bet.credit(50));
  t.deepEqual(await wallet.call('rollback', bet.rollback(100)), {
    status: 409,
    body: { code: 'ALREADY_SETTLED' },
  });
  t.is(await wallet.balance(bet.playerId), startBalance - 50);
  t.like(await wallet.ledger(bet.playerId), [
    { status: 'applied' },
    { status: 'applied' },
    { kind: 'rollback', status: 'refused', code: 'ALREADY_SETTLED' },
  ]);
});

test('a rollback of a refused debit is acknowledged and moves no money', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.setPlayer(bet.playerId, { balance: { EUR: 10 } });
  t.is((await wallet.call('debit', bet.debit(100))).status, 402);
  t.deepEqual(await wallet.call('rollback', bet.rollback(100)), {
    status: 200,
    body: { transactionId: bet.rollbackId, balance: 10 },
  });
  t.is(await wallet.balance(bet.playerId), 10);
  t.like(await wallet.ledger(bet.playerId), [{ status: 'refused' }, { kind: 'rollback', status: 'applied' }]);
});

test('a credit for a refused debit is 409 DEBIT_REFUSED', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.setPlayer(bet.playerId, { blocked: true });
  await wallet.call('debit', bet.debit(100));
  t.deepEqual(await wallet.call('credit', bet.credit(500)), { status: 409, body: { code: 'DEBIT_REFUSED' } });
  t.is(await wallet.balance(bet.playerId), startBalance);
});

test('a credit or rollback that names another bet than its debit is 409 DEBIT_MISMATCH', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.call('debit', bet.debit(100));
  t.is((await wallet.call('rollback', bet.rollback(99))).body.code, 'DEBIT_MISMATCH');
  t.is((await wallet.call('credit', { ...bet.credit(10), betId: 'another-bet' })).body.code, 'DEBIT_MISMATCH');
  t.is(await wallet.balance(bet.playerId), startBalance - 100);
});

test('a credit for a debit the wallet never saw is still paid', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  t.is((await wallet.call('credit', bet.credit(70))).status, 200);
  t.is(await wallet.balance(bet.playerId), startBalance + 70);
});

test('the balance route defaults to the player currency and needs one for unknown players', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet('GBP');
  t.is((await wallet.request('GET', `/wallet/balance/${bet.playerId}?operatorId=operator-a`)).status, 400);
  await wallet.call('debit', bet.debit(10));
  t.deepEqual(await wallet.request('GET', `/wallet/balance/${bet.playerId}?operatorId=operator-a`), {
    status: 200,
    body: { operatorId: 'operator-a', playerId: bet.playerId, currency: 'GBP', balance: startBalance - 10 },
  });
});

test('health answers ok', async (t) => {
  const wallet = await startMock(t);
  t.deepEqual(await wallet.request('GET', '/health'), { status: 200, body: { status: 'ok' } });
});

test('reset forgets balances, transactions, faults and counts', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.call('debit', bet.debit(100));
  await wallet.setFaults({ credit: { errorRate: 1 } });
  t.deepEqual(await wallet.request('POST', '/__reset'), { status: 200, body: { status: 'reset' } });
  t.deepEqual(await wallet.ledger(), []);
  t.is(await wallet.balance(bet.playerId), startBalance);
  t.like(await wallet.stats('debit'), { applied: 0 });
  t.like((await wallet.request('GET', '/__faults')).body, { credit: { errorRate: 0 } });
});

test('a credit listed in refusedCredits is refused every time and pays nothing, even by a mock that never saw its debit', async (t) => {
  const bet = newBet();
  const wallet = await startMock(t, { refusedCredits: [bet.creditId] });
  await wallet.call('debit', bet.debit(300));
  t.deepEqual(await wallet.call('credit', bet.credit(900)), { status: 403, body: { code: 'CREDIT_REFUSED' } });
  t.deepEqual(await wallet.call('credit', bet.credit(900)), { status: 403, body: { code: 'CREDIT_REFUSED' } });
  t.is(await wallet.balance(bet.playerId), startBalance - 300);
  const restarted = await startMock(t, { refusedCredits: [bet.creditId] });
  t.deepEqual(await restarted.call('credit', bet.credit(900)), { status: 403, body: { code: 'CREDIT_REFUSED' } });
  const other = newBet();
  t.is((await restarted.call('credit', other.credit(900))).status, 200, 'other credits are paid');
});
