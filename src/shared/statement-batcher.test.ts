import test from 'ava';
import { createStatementBatcher } from './statement-batcher.ts';

/** A stand-in statement that records each batch and finishes when the test says so. */
function recordingStatement(fail: (items: number[]) => boolean = () => false) {
  const batches: number[][] = [];
  const finishers: (() => void)[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push(items);
      finishers.push(() => (fail(items) ? reject(new Error(`batch ${items.join(',')} failed`)) : resolve(items.map((item) => `done ${item}`))));
    });
  const finishAll = async () => {
    while (finishers.length > 0) {
      finishers.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { run, batches, finishAll };
}

test('a lone item goes out at once; items that arrive while statements run share the next one, in order', async (t) => {
  const statement = recordingStatement();
  const write = createStatementBatcher({ run: statement.run, inFlight: 1, maxBatch: 10 });
  const first = write(1);
  t.deepEqual(statement.batches, [[1]]);
  const rest = [2, 3, 4].map((item) => write(item));
  t.deepEqual(statement.batches, [[1]], 'nothing more goes out while the only slot is taken');
  await statement.finishAll();
  t.deepEqual(statement.batches, [[1], [2, 3, 4]]);
  t.deepEqual(await Promise.all([first, ...rest]), ['done 1', 'done 2', 'done 3', 'done 4']);
});

test('a batch holds at most maxBatch items, and items that may not share a statement go in the next one', async (t) => {
  const statement = recordingStatement();
  const write = createStatementBatcher({ run: statement.run, inFlight: 1, maxBatch: 3, exclusive: (item: number) => String(item % 2) });
  const all = [1, 2, 3, 4, 5, 6, 7].map((item) => write(item));
  await statement.finishAll();
  t.deepEqual(statement.batches, [[1], [2, 3], [4, 5], [6, 7]]);
  t.is((await Promise.all(all)).length, 7);
});

test('when a statement of several items fails, each runs again alone and only the failing one is rejected', async (t) => {
  const statement = recordingStatement((items) => items.includes(3));
  const write = createStatementBatcher({ run: statement.run, inFlight: 1, maxBatch: 10 });
  const first = write(1);
  const rest = [2, 3, 4].map((item) => write(item));
  await statement.finishAll();
  t.is(await first, 'done 1');
  const settled = await Promise.allSettled(rest);
  t.deepEqual(
    settled.map((result) => result.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  t.deepEqual(statement.batches, [[1], [2, 3, 4], [2], [3], [4]]);
});
