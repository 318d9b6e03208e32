import test from 'ava';
import { createWalletCallBounds } from './operator-bounds.ts';

test("an operator's calls take places up to the bound; another operator's are counted apart", (t) => {
  const bounds = createWalletCallBounds({ perOperator: 2, maxWaitMs: 1_000 });
  const first = bounds.take('a');
  t.truthy(first);
  t.truthy(bounds.take('a'));
  t.is(bounds.take('a'), undefined);
  t.truthy(bounds.take('b'));
  first!();
  first!();
  t.truthy(bounds.take('a'), 'a released place is free again, once');
  t.is(bounds.take('a'), undefined);
});

test('waiting calls get places in arrival order as calls end, straight from the call that ended', async (t) => {
  const bounds = createWalletCallBounds({ perOperator: 1, maxWaitMs: 5_000 });
  const running = bounds.take('a')!;
  const order: string[] = [];
  const second = bounds.wait('a').then((release) => (order.push('second'), release));
  const third = bounds.wait('a').then((release) => (order.push('third'), release));
  running();
  t.is(bounds.take('a'), undefined, 'the place went to the first in line, not back to the pool');
  const secondRelease = await second;
  t.truthy(secondRelease);
  secondRelease!();
  t.truthy(await third);
  t.deepEqual(order, ['second', 'third']);
});

test('a call waits no longer than maxWaitMs, and no line grows past four times the bound', async (t) => {
  const bounds = createWalletCallBounds({ perOperator: 1, maxWaitMs: 50 });
  bounds.take('a');
  const waits = Array.from({ length: 4 }, () => bounds.wait('a'));
  t.is(await bounds.wait('a'), undefined, 'the fifth in line is turned away at once');
  t.deepEqual(await Promise.all(waits), [undefined, undefined, undefined, undefined]);
  t.true(bounds.retryDelayMs() >= 50 && bounds.retryDelayMs() <= 75);
});
