import { createHmac } from 'node:crypto';

/**
 * Stake's scheme (SPEC §5): HMAC_SHA256(key = serverSeed as its ASCII text,
 * msg = "{clientSeed}:{nonce}:{cursor}"), cursor 0, 1, … concatenated until `count` bytes.
 */
export function fairBytes(serverSeed: string, clientSeed: string, nonce: number, count: number): Buffer {
  if (!Number.isSafeInteger(nonce) || nonce < 0) throw new RangeError(`nonce must be a non-negative safe integer, got ${nonce}`);
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  const blocks: Buffer[] = [];
  for (let cursor = 0; blocks.length * 32 < count; cursor += 1) {
    blocks.push(createHmac('sha256', serverSeed).update(`${clientSeed}:${nonce}:${cursor}`, 'utf8').digest());
  }
  return Buffer.concat(blocks).subarray(0, count);
}

/** The first 4 bytes as a big-endian integer in [0, 2³²): the float's exact numerator. */
export function fairUint32(serverSeed: string, clientSeed: string, nonce: number): number {
  return fairBytes(serverSeed, clientSeed, nonce, 4).readUInt32BE(0);
}

/**
 * b0/256 + b1/256² + b2/256³ + b3/256⁴, a float in [0, 1). It equals fairUint32 / 2³²
 * exactly: 32 significant bits fit a double's 53.
 */
export function fairFloat(serverSeed: string, clientSeed: string, nonce: number): number {
  const bytes = fairBytes(serverSeed, clientSeed, nonce, 4);
  return (
    bytes.readUInt8(0) / 256 + bytes.readUInt8(1) / 256 ** 2 + bytes.readUInt8(2) / 256 ** 3 + bytes.readUInt8(3) / 256 ** 4
  );
}
