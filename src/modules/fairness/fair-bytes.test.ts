import test from 'ava';
import { fairBytes, fairFloat, fairUint32 } from './fair-bytes.ts';
import { SEED_A, SEED_A_CLIENTSEED_0_CURSOR_1, VECTORS } from './test-vectors.ts';

for (const v of VECTORS) {
  test(`bytes of ${v.clientSeed}:${v.nonce} match the openssl HMAC`, (t) => {
    t.is(fairBytes(v.serverSeed, v.clientSeed, v.nonce, 32).toString('hex'), v.hmac);
    t.is(fairUint32(v.serverSeed, v.clientSeed, v.nonce), v.uint32);
    t.is(fairFloat(v.serverSeed, v.clientSeed, v.nonce), v.uint32 / 2 ** 32);
  });
}

test('more than 32 bytes continue with cursor 1', (t) => {
  const cursor0 = VECTORS[0]!.hmac;
  t.is(fairBytes(SEED_A, 'clientseed', 0, 40).toString('hex'), cursor0 + SEED_A_CLIENTSEED_0_CURSOR_1.slice(0, 16));
  t.is(fairBytes(SEED_A, 'clientseed', 0, 64).toString('hex'), cursor0 + SEED_A_CLIENTSEED_0_CURSOR_1);
  t.is(fairBytes(SEED_A, 'clientseed', 0, 3).toString('hex'), cursor0.slice(0, 6));
});

test('the float is always in [0, 1)', (t) => {
  for (let nonce = 0; nonce < 2000; nonce += 1) {
    const float = fairFloat(SEED_A, 'range', nonce);
    t.true(float >= 0 && float < 1);
  }
});

test('a nonce or byte count that is not a usable integer is a programming error', (t) => {
  t.throws(() => fairBytes(SEED_A, 'c', -1, 4), { instanceOf: RangeError });
  t.throws(() => fairBytes(SEED_A, 'c', 1.5, 4), { instanceOf: RangeError });
  t.throws(() => fairBytes(SEED_A, 'c', 0, 0), { instanceOf: RangeError });
});
