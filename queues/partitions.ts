// Issue #21: on a Redis Cluster BullMQ needs every key of a queue in one hash slot (its
// scripts touch several keys at once), so a queue lives on one master. To spread the
// queues over the masters, each queue is split into partitions: partition i's keys carry
// the hash tag `partitionTag(i, count)`, and a job goes to the partition its bet (or
// delivery) id picks, so every job of one bet is in one partition, in order. On one Redis
// the tags change nothing.

const SLOTS = 16_384;

/** CRC16-XMODEM, the checksum Redis Cluster maps keys to slots with (slot = crc16 mod 16384). */
function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The hash slot of a hash tag's text (what `CLUSTER KEYSLOT x{text}` answers). */
export function slotOf(text: string): number {
  return crc16(text) % SLOTS;
}

/**
 * The hash tag text of partition `index` of `count`: a name whose slot lies in the
 * partition's own 1/count of the slot range, so the partitions sit at evenly spaced slots
 * and a cluster whose masters hold equal slot ranges (as `redis-cli --cluster create`
 * splits them) gets an equal share of partitions on each master.
 */
export function partitionTag(index: number, count: number): string {
  const from = Math.floor((index * SLOTS) / count);
  const to = Math.floor(((index + 1) * SLOTS) / count);
  for (let attempt = 0; ; attempt += 1) {
    const tag = attempt === 0 ? `p${index}` : `p${index}.${attempt}`;
    const slot = slotOf(tag);
    if (slot >= from && slot < to) return tag;
  }
}

/** The partition of the job keyed `key` (a bet or delivery id): the same on every node. */
export function partitionOf(key: string, count: number): number {
  return count === 1 ? 0 : crc16(key) % count;
}
