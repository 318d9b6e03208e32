import test from 'ava';
import fc from 'fast-check';
import { fairUint32 } from './fair-bytes.ts';
import { seedHmac } from './seed-hmac.ts';
import { VECTORS } from './test-vectors.ts';

test('the published openssl vectors come out the same', (t) => {
  for (const v of VECTORS) t.is(seedHmac(v.serverSeed, v.clientSeed)(v.nonce), v.uint32, `${v.clientSeed}:${v.nonce}`);
});

test('it agrees with node:crypto for any seed, any printable client seed of 1–64 characters and any nonce', (t) => {
  const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 64 });
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), printable, fc.array(fc.maxSafeNat(), { minLength: 1, maxLength: 5 }), (bytes, clientSeed, nonces) => {
      const serverSeed = Buffer.from(bytes).toString('hex');
      const uint32Of = seedHmac(serverSeed, clientSeed);
      // The same function is reused across nonces: its buffers must not leak one into the next.
      for (const nonce of [...nonces, 0, 9, 10]) t.is(uint32Of(nonce), fairUint32(serverSeed, clientSeed, nonce));
    }),
    { numRuns: 300 },
  );
});

test('a message of exactly 55 and 56 bytes (the one-block limit) agrees too', (t) => {
  const serverSeed = 'ab'.repeat(32);
  // "{clientSeed}:{nonce}:0": 51 + 1 + 1 + 2 = 55 bytes, then 56
  for (const clientSeed of ['c'.repeat(51), 'c'.repeat(52)]) t.is(seedHmac(serverSeed, clientSeed)(7), fairUint32(serverSeed, clientSeed, 7));
});

test('a negative or fractional nonce and a non-ASCII seed are programming errors', (t) => {
  const uint32Of = seedHmac('ab'.repeat(32), 'c');
  t.throws(() => uint32Of(-1), { instanceOf: RangeError });
  t.throws(() => uint32Of(1.5), { instanceOf: RangeError });
  t.throws(() => seedHmac('ab'.repeat(32), 'café'), { instanceOf: RangeError });
  t.throws(() => seedHmac('a'.repeat(65), 'c'), { instanceOf: RangeError });
});
