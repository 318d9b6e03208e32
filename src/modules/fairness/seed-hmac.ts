/**
 * The first four bytes of SPEC §5's HMAC_SHA256(serverSeed, "{clientSeed}:{nonce}:0") for
 * one seed pair and many nonces, for simulations (`npm run rtp`) that play millions of
 * rounds. node:crypto's createHmac costs ~5 µs per call (a key schedule and a native
 * object per round; Hash.copy() of a keyed state is no cheaper), which caps a core near
 * 190,000 rounds/s. Here the key's inner and outer SHA-256 states are computed once per
 * seed (the key is one 64-byte block) and each nonce costs two or three block
 * compressions in plain JS on preallocated arrays: no allocation per round. The bet path
 * keeps node:crypto (fair-bytes.ts); seed-hmac.test.ts checks this against it and openssl.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INITIAL_STATE = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** SHA-256's compression of the 16 words in w[0..15] into `state` (w is overwritten). */
function compress(state: Int32Array, w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!, e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

function asciiBytes(text: string, what: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) throw new RangeError(`${what} must be printable ASCII`);
    bytes[i] = code;
  }
  return bytes;
}

/** The SHA-256 state after one block of key ⊕ pad (HMAC's inner or outer prefix). */
function keyedState(key: Uint8Array, pad: number, w: Int32Array): Int32Array {
  const state = Int32Array.from(INITIAL_STATE);
  for (let i = 0; i < 16; i++) {
    let word = 0;
    for (let j = 0; j < 4; j++) word = (word << 8) | ((key[i * 4 + j] ?? 0) ^ pad);
    w[i] = word;
  }
  compress(state, w);
  return state;
}

/** What `seedHmac` answers: the uint32 of `"{clientSeed}:{nonce}:0"`, reusing the seed's keyed states. */
export type SeedUint32 = (nonce: number) => number;

/**
 * For one (serverSeed, clientSeed): nonce → the first 4 bytes, big-endian, of
 * HMAC_SHA256(serverSeed, "{clientSeed}:{nonce}:0"), i.e. fairUint32's value.
 */
export function seedHmac(serverSeed: string, clientSeed: string): SeedUint32 {
  const key = asciiBytes(serverSeed, 'serverSeed');
  if (key.length > 64) throw new RangeError('serverSeed must be at most 64 characters');
  const prefix = asciiBytes(`${clientSeed}:`, 'clientSeed');
  const w = new Int32Array(64);
  const inner = keyedState(key, 0x36, w);
  const outer = keyedState(key, 0x5c, w);
  const state = new Int32Array(8);
  // The message after the key block: prefix, nonce digits, ":0", 0x80, zeros, bit length.
  const message = new Uint8Array(Math.ceil((prefix.length + 16 + 2 + 9) / 64) * 64);
  message.set(prefix);
  const digits = new Uint8Array(16);

  return (nonce: number): number => {
    if (!Number.isSafeInteger(nonce) || nonce < 0) throw new RangeError(`nonce must be a non-negative safe integer, got ${nonce}`);
    let count = 0;
    let rest = nonce;
    do {
      digits[count++] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
    let length = prefix.length;
    while (count > 0) message[length++] = digits[--count]!;
    message[length++] = 0x3a; // ':'
    message[length++] = 0x30; // '0'
    const blocks = length + 9 <= 64 ? 1 : 2;
    message[length] = 0x80;
    message.fill(0, length + 1, blocks * 64 - 4);
    const bits = (64 + length) * 8;
    message[blocks * 64 - 4] = bits >>> 24;
    message[blocks * 64 - 3] = (bits >>> 16) & 0xff;
    message[blocks * 64 - 2] = (bits >>> 8) & 0xff;
    message[blocks * 64 - 1] = bits & 0xff;

    state.set(inner);
    for (let block = 0; block < blocks; block++) {
      for (let i = 0; i < 16; i++) {
        const at = block * 64 + i * 4;
        w[i] = (message[at]! << 24) | (message[at + 1]! << 16) | (message[at + 2]! << 8) | message[at + 3]!;
      }
      compress(state, w);
    }
    // The outer block: the inner digest (8 words), 0x80, zeros, and (64 + 32) × 8 bits.
    for (let i = 0; i < 8; i++) w[i] = state[i]!;
    w[8] = 0x80000000 | 0;
    w.fill(0, 9, 15);
    w[15] = 768;
    state.set(outer);
    compress(state, w);
    return state[0]! >>> 0;
  };
}
