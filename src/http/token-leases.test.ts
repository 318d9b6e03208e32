import test from 'ava';
import { createTokenLeases, leaseSize, type TakeFromShared } from './token-leases.ts';

/** One shared fixed window (as Redis keeps it for the cluster): counts every token asked for, granted or not. */
function sharedWindow(windowMs: number) {
  let consumed = 0;
  let calls = 0;
  const take: TakeFromShared = async (_key, limit, count) => {
    calls += 1;
    await new Promise((resolve) => setImmediate(resolve));
    consumed += count;
    return { granted: consumed <= limit, msBeforeNext: windowMs };
  };
  return { take, calls: () => calls, consumed: () => consumed };
}

test('a lease is 1 % of the limit, and never less than one token', (t) => {
  t.is(leaseSize(1), 1);
  t.is(leaseSize(199), 1);
  t.is(leaseSize(1_000), 10);
  t.is(leaseSize(1_000_000), 10_000);
});

test('two nodes on one shared counter never let more than the limit through, and refuse at most nodes × (lease − 1) early', async (t) => {
  const limit = 1_000;
  const shared = sharedWindow(60_000);
  const nodes = [createTokenLeases(shared.take), createTokenLeases(shared.take)];
  const decisions = await Promise.all(Array.from({ length: 1_500 }, (_, index) => nodes[index % 2]!('operator-1', limit)));
  const allowed = decisions.filter((decision) => decision.allowed).length;
  t.true(allowed <= limit, `${allowed} allowed`);
  t.true(allowed >= limit - 2 * (leaseSize(limit) - 1), `${allowed} allowed`);
  const refused = decisions.find((decision) => !decision.allowed);
  t.true(refused !== undefined && !refused.allowed && refused.msBeforeNext > 0 && refused.msBeforeNext <= 60_000);
});

test('requests that arrive while a lease is being taken wait for it instead of each asking the shared counter', async (t) => {
  const shared = sharedWindow(60_000);
  const acquire = createTokenLeases(shared.take);
  const decisions = await Promise.all(Array.from({ length: 50 }, () => acquire('operator-1', 1_000)));
  t.true(decisions.every((decision) => decision.allowed));
  t.is(shared.calls(), 5, '50 requests, leases of 10');
  t.is(shared.consumed(), 50);
});

test('a limit under 200 is counted one request at a time, so it is exact', async (t) => {
  const shared = sharedWindow(60_000);
  const nodes = [createTokenLeases(shared.take), createTokenLeases(shared.take)];
  const decisions = await Promise.all(Array.from({ length: 60 }, (_, index) => nodes[index % 2]!('operator-1', 20)));
  t.is(decisions.filter((decision) => decision.allowed).length, 20);
});

test('once the shared counter refuses, the node refuses from memory until the window ends, then asks again', async (t) => {
  const shared = sharedWindow(50);
  const acquire = createTokenLeases(shared.take);
  t.true((await acquire('operator-1', 1)).allowed);
  t.false((await acquire('operator-1', 1)).allowed);
  const callsWhenRefused = shared.calls();
  t.false((await acquire('operator-1', 1)).allowed);
  t.is(shared.calls(), callsWhenRefused, 'the refusal came from memory');
  await new Promise((resolve) => setTimeout(resolve, 80));
  await acquire('operator-1', 1);
  t.is(shared.calls(), callsWhenRefused + 1, 'a new window asks the shared counter again');
});

test('a shared counter that fails rejects every request waiting on it (the caller falls back)', async (t) => {
  const acquire = createTokenLeases(async () => {
    throw new Error('redis down');
  });
  const results = await Promise.allSettled([acquire('operator-1', 1_000), acquire('operator-1', 1_000)]);
  t.deepEqual(
    results.map((result) => result.status),
    ['rejected', 'rejected'],
  );
});
