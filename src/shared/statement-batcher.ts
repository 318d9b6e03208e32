/**
 * Group commit for one kind of statement: items that become ready while earlier
 * statements of the kind are in flight are written together by the next one. Under load
 * many requests share one round trip, one statement start-up and one commit; a lone item
 * on a quiet node goes out at once. At most `inFlight` statements run at a time and
 * each carries at most `maxBatch` items, in arrival order.
 *
 * `run` answers one result per item, in order. If a statement of several items fails as
 * a whole (a deadlock with another node's batch, a unique violation of one item), each
 * item is run again alone, so that one item's failure is its own and the others succeed.
 * `exclusive` (optional) names what two items of one batch must not share (e.g. a bet):
 * the later one waits for the next batch.
 */
export function createStatementBatcher<Item, Result>(options: {
  run: (items: Item[]) => Promise<Result[]>;
  inFlight: number;
  maxBatch: number;
  exclusive?: (item: Item) => string;
  onBatch?: (size: number) => void;
}): (item: Item) => Promise<Result> {
  interface Pending {
    item: Item;
    resolve: (result: Result) => void;
    reject: (error: unknown) => void;
  }
  const waiting: Pending[] = [];
  let running = 0;

  function takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const taken = new Set<string>();
    for (let index = 0; index < waiting.length && batch.length < options.maxBatch; ) {
      const pending = waiting[index]!;
      const key = options.exclusive?.(pending.item);
      if (key !== undefined && taken.has(key)) {
        index += 1;
        continue;
      }
      if (key !== undefined) taken.add(key);
      batch.push(pending);
      waiting.splice(index, 1);
    }
    return batch;
  }

  async function write(batch: Pending[]): Promise<void> {
    try {
      const results = await options.run(batch.map((pending) => pending.item));
      batch.forEach((pending, index) => pending.resolve(results[index]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      await Promise.all(batch.map((pending) => write([pending])));
    }
  }

  function flush(): void {
    while (running < options.inFlight && waiting.length > 0) {
      const batch = takeBatch();
      options.onBatch?.(batch.length);
      running += 1;
      void write(batch).finally(() => {
        running -= 1;
        flush();
      });
    }
  }

  return (item) =>
    new Promise<Result>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      flush();
    });
}
