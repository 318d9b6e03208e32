import { randomUUID } from 'node:crypto';
import test from 'ava';
import { partitionOf, partitionTag, slotOf } from './partitions.ts';

test('slotOf is Redis Cluster\'s CRC16 mod 16384 (values from CLUSTER KEYSLOT)', (t) => {
  // `CLUSTER KEYSLOT x{p0}` etc. on Redis 7.0.
  t.is(slotOf('p0'), 15_882);
  t.is(slotOf('p3'), 3_689);
  t.is(slotOf('p10'), 6_399);
  t.is(slotOf('123456789'), 12_739);
});

test('partition i of n has its slot in the i-th n-th of the slot range, for any n', (t) => {
  for (const count of [1, 2, 3, 6, 7, 16, 64]) {
    for (let index = 0; index < count; index++) {
      const slot = slotOf(partitionTag(index, count));
      t.true(slot >= Math.floor((index * 16_384) / count) && slot < Math.floor(((index + 1) * 16_384) / count), `${index} of ${count}: slot ${slot}`);
    }
  }
});

test('bet ids use every partition; with one partition every job is in partition 0', (t) => {
  const ids = Array.from({ length: 600 }, () => randomUUID());
  const used = new Set(ids.map((id) => partitionOf(id, 6)));
  t.deepEqual([...used].sort(), [0, 1, 2, 3, 4, 5]);
  t.true(ids.every((id) => partitionOf(id, 1) === 0));
});
