import test from 'ava';
import { newBet, startBalance, startMock, waitFor, type MockClient } from './test-support.ts';

/** What the caller sees: an answer's status, or 'cut' when the connection died. */
async function outcomeOf(wallet: MockClient, body: unknown): Promise<number | 'cut'> {
  try {
    return (await wallet.call('debit', body)).status;
  } catch {
    return 'cut';
  }
}

test('an injected error is a 500 and applies nothing', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ debit: { errorRate: 1 } });
  const bet = newBet();
  t.deepEqual(await wallet.call('debit', bet.debit(100)), { status: 500, body: { code: 'INTERNAL_ERROR' } });
  t.deepEqual(await wallet.ledger(), []);
  t.is(await wallet.balance(bet.playerId), startBalance);
  t.like(await wallet.stats('debit'), { error: 1, applied: 0 });
});

test('after an injected error, a retry with the same transaction applies once', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.setFaults({ credit: { errorRate: 1 } });
  t.is((await wallet.call('credit', bet.credit(100))).status, 500);
  await wallet.setFaults({});
  t.is((await wallet.call('credit', bet.credit(100))).status, 200);
  t.is(await wallet.balance(bet.playerId), startBalance + 100);
});

test('an injected timeout never answers and applies nothing', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ debit: { timeoutRate: 1 } });
  const bet = newBet();
  const abort = new AbortController();
  let answered = false;
  const pending = wallet.call('debit', bet.debit(100), { signal: abort.signal }).finally(() => (answered = true));
  // Wait until the mock holds the request, then give up the way a client's timeout does.
  await waitFor(async () => (await wallet.stats('debit')).timeout === 1);
  t.deepEqual(await wallet.ledger(), []);
  t.is(await wallet.balance(bet.playerId), startBalance);
  t.false(answered);
  abort.abort();
  const ended = await pending.then(
    () => 'answered',
    (error: { name?: string }) => error.name,
  );
  t.is(ended, 'AbortError');
  t.deepEqual(await wallet.ledger(), []);
});

test('closing the mock cuts the connections it holds for timeouts', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ rollback: { timeoutRate: 1 } });
  const pending = wallet.call('rollback', newBet().rollback(100));
  await waitFor(async () => (await wallet.stats('rollback')).timeout === 1);
  await wallet.mock.close();
  await t.throwsAsync(pending);
});

test('a lost response applies the operation, then answers 500 or cuts the connection', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ seed: 1, debit: { lostResponseRate: 1 } });
  const bets = Array.from({ length: 12 }, () => newBet());
  const seen: (number | 'cut')[] = [];
  for (const bet of bets) seen.push(await outcomeOf(wallet, bet.debit(100)));
  t.true(seen.includes(500));
  t.true(seen.includes('cut'));
  t.true(seen.every((outcome) => outcome === 500 || outcome === 'cut'));
  const items = await wallet.ledger();
  t.is(items.length, bets.length);
  t.true(items.every((item) => item.status === 'applied'));
  t.is(await wallet.balance(bets[0]?.playerId ?? ''), startBalance - 100);
  t.like(await wallet.stats('debit'), { lost: bets.length, applied: 0 });
});

test('the retry after a lost response gets the first result and moves no money again', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.setFaults({ debit: { lostResponseRate: 1 } });
  t.not(await outcomeOf(wallet, bet.debit(100)), 200);
  await wallet.setFaults({});
  t.deepEqual(await wallet.call('debit', bet.debit(100)), {
    status: 200,
    body: { transactionId: bet.debitId, balance: startBalance - 100 },
  });
  t.is(await wallet.balance(bet.playerId), startBalance - 100);
});

test('faults hit only the configured operation', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ debit: { errorRate: 1 } });
  const bet = newBet();
  t.is((await wallet.call('credit', bet.credit(100))).status, 200);
  t.is((await wallet.call('rollback', bet.rollback(100))).status, 409);
});

test('faults apply only to signed requests: a bad signature is still 401', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ debit: { errorRate: 1 } });
  const reply = await wallet.call('debit', newBet().debit(100), { secret: 'wrong' });
  t.deepEqual(reply, { status: 401, body: { code: 'BAD_SIGNATURE' } });
});

test('putting an empty configuration clears all faults', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ seed: 3, debit: { errorRate: 1, latencyMs: 5 }, credit: { timeoutRate: 0.5 } });
  const cleared = await wallet.setFaults({});
  const none = { errorRate: 0, timeoutRate: 0, lostResponseRate: 0, refuseRetryRate: 0, latencyMs: 0 };
  const expected = { seed: null, debit: none, credit: none, rollback: none };
  t.deepEqual(cleared, { status: 200, body: expected });
  t.deepEqual((await wallet.request('GET', '/__faults')).body, expected);
  t.is((await wallet.call('debit', newBet().debit(100))).status, 200);
});

test('a put replaces the whole configuration, omitted fields and operations are 0', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ debit: { errorRate: 0.5 }, credit: { errorRate: 0.5 } });
  await wallet.setFaults({ credit: { lostResponseRate: 0.25 } });
  t.like((await wallet.request('GET', '/__faults')).body, {
    debit: { errorRate: 0, lostResponseRate: 0 },
    credit: { errorRate: 0, lostResponseRate: 0.25 },
  });
});

test('seeded faults repeat the same sequence', async (t) => {
  const wallet = await startMock(t);
  const config = { seed: 42, debit: { errorRate: 0.3, lostResponseRate: 0.3 } };
  const run = async () => {
    await wallet.setFaults(config);
    const outcomes: (number | 'cut')[] = [];
    for (let i = 0; i < 20; i += 1) outcomes.push(await outcomeOf(wallet, newBet().debit(1)));
    return outcomes;
  };
  const first = await run();
  const second = await run();
  t.deepEqual(second, first);
  t.true(new Set(first).size > 1, 'the sequence mixes outcomes');
});

test('latency delays the answer by at least the configured time', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ credit: { latencyMs: 200 } });
  const started = performance.now();
  t.is((await wallet.call('credit', newBet().credit(1))).status, 200);
  t.true(performance.now() - started >= 190);
});

test('an invalid fault configuration is 400 and keeps the current one', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ debit: { errorRate: 0.5 } });
  for (const bad of [
    { debit: { errorRate: 1.5 } },
    { debit: { errorRate: -0.1 } },
    { debit: { errorRate: 0.6, timeoutRate: 0.6 } },
    { debit: { latencyMs: 1.5 } },
    { withdraw: { errorRate: 1 } },
    { debit: { errorrate: 1 } },
    { debit: { refuseRetryRate: 1.01 } },
    { credit: { refuseRetryRate: '0.5' } },
  ]) {
    const reply = await wallet.setFaults(bad);
    t.is(reply.status, 400, JSON.stringify(bad));
    t.is(reply.body.code, 'VALIDATION_FAILED');
  }
  t.like((await wallet.request('GET', '/__faults')).body, { debit: { errorRate: 0.5 } });
});

test('rates that sum to one despite float rounding are accepted', async (t) => {
  const wallet = await startMock(t);
  const reply = await wallet.setFaults({ debit: { errorRate: 0.1, timeoutRate: 0.2, lostResponseRate: 0.7 } });
  t.is(reply.status, 200);
});

// Issue #17: a 4xx after an attempt that ended unknown is not final. The mock plays the
// gateway that refuses retries during a deploy, whatever the first attempt did.

const retryRefusals = [
  { status: 404, body: { code: 'NOT_FOUND' } },
  { status: 409, body: { code: 'DUPLICATE_TRANSACTION' } },
  { status: 400, body: { code: 'BAD_REQUEST' } },
];

test('a retry refused by refuseRetryRate is a 404, 409 or 400 and changes nothing; a first attempt is never refused', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ seed: 7, debit: { refuseRetryRate: 1 }, credit: { refuseRetryRate: 1 } });
  const seen = new Set<number>();
  for (let i = 0; i < 12; i++) {
    const bet = newBet();
    t.is((await wallet.call('debit', bet.debit(100))).status, 200, 'the first attempt is applied');
    const retry = await wallet.call('debit', bet.debit(100));
    t.true(
      retryRefusals.some((refusal) => refusal.status === retry.status && refusal.body.code === retry.body.code),
      JSON.stringify(retry),
    );
    seen.add(retry.status);
    t.is((await wallet.call('credit', bet.credit(50))).status, 200);
    t.true([400, 404, 409].includes((await wallet.call('credit', bet.credit(50))).status));
    t.is(await wallet.balance(bet.playerId), startBalance - 100 + 50, 'one debit and one credit, whatever the retries got');
  }
  t.deepEqual([...seen].sort(), [400, 404, 409], 'every kind of refusal is drawn');
  const items = await wallet.ledger();
  t.is(items.length, 24);
  t.true(items.every((item) => item.status === 'applied'));
  t.like(await wallet.stats('debit'), { applied: 12, refusedRetry: 12, duplicate: 0 });
});

test('with lost responses, a debit is applied and answered 500 or cut, and its retry is refused with a 4xx', async (t) => {
  const wallet = await startMock(t);
  await wallet.setFaults({ seed: 3, debit: { lostResponseRate: 1, refuseRetryRate: 1 } });
  const bet = newBet();
  t.true([500, 'cut'].includes(await outcomeOf(wallet, bet.debit(100))));
  t.true([400, 404, 409].includes((await wallet.call('debit', bet.debit(100))).status));
  t.like(await wallet.ledger(bet.playerId), [{ kind: 'debit', status: 'applied' }]);
  t.is(await wallet.balance(bet.playerId), startBalance - 100, 'the wallet holds the stake the RGS was refused');
  // Once the gateway is back, the retry gets the first result.
  await wallet.setFaults({});
  t.is((await wallet.call('debit', bet.debit(100))).status, 200);
});

test('a retry after an injected error may be refused too, and nothing is applied then', async (t) => {
  const wallet = await startMock(t);
  const bet = newBet();
  await wallet.setFaults({ credit: { errorRate: 1 } });
  t.is((await wallet.call('credit', bet.credit(100))).status, 500);
  await wallet.setFaults({ credit: { refuseRetryRate: 1 } });
  t.true([400, 404, 409].includes((await wallet.call('credit', bet.credit(100))).status));
  t.deepEqual(await wallet.ledger(), []);
});

test('refuseRetryRate 0 keeps the seeded sequence of the other faults', async (t) => {
  const wallet = await startMock(t);
  const run = async (faults: Record<string, number>) => {
    await wallet.setFaults({ seed: 42, debit: faults });
    const bet = newBet();
    const outcomes: (number | 'cut')[] = [];
    for (let i = 0; i < 10; i++) outcomes.push(await outcomeOf(wallet, bet.debit(1)));
    return outcomes;
  };
  const without = await run({ errorRate: 0.5 });
  t.deepEqual(await run({ errorRate: 0.5, refuseRetryRate: 0 }), without);
});
