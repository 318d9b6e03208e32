import { SEED_A } from '../../modules/fairness/test-vectors.ts';

/*
 * Published Lucky Dice vectors, computed with openssl (OpenSSL 3.0), never with this code:
 *
 *   printf '%s' "lucky:<nonce>:0" | openssl dgst -sha256 -hmac "$SEED_A"
 *
 * uint32 = the first 4 bytes of that HMAC, big-endian; face = floor(uint32 × 6 / 2³²) + 1
 * (shell: $(( 16#<first 8 hex digits> * 6 / 4294967296 + 1 ))).
 */
export interface LuckyDiceVector {
  serverSeed: string;
  clientSeed: string;
  nonce: number;
  hmac: string;
  uint32: number;
  face: number;
}

const vector = (nonce: number, hmac: string, uint32: number, face: number): LuckyDiceVector => ({
  serverSeed: SEED_A,
  clientSeed: 'lucky',
  nonce,
  hmac,
  uint32,
  face,
});

export const LUCKY_DICE_VECTORS: LuckyDiceVector[] = [
  // 0x3ecb110e = 1053495566; × 6 / 2³² = 1.47 → face 2
  vector(0, '3ecb110efc53e3bc29bfa95ca4d539a8ae3ffb5aade6a3841af856b5332b1ee0', 1053495566, 2),
  // 0xec44acaa = 3963923626; × 6 / 2³² = 5.54 → face 6, a win
  vector(1, 'ec44acaa40dfd6cc3aad6103efc7504a41a4b7633e779e8846143944ee9ecef4', 3963923626, 6),
  // 0xa3fc8d1f = 2751237407; × 6 / 2³² = 3.84 → face 4
  vector(4, 'a3fc8d1f570b89aab6f6ae20debecf14bd349052e17527584a452fc7ac47bb89', 2751237407, 4),
  // 0x796e3537 = 2037265719; × 6 / 2³² = 2.85 → face 3
  vector(7, '796e353746fb79579b9ee7cd292fe87817075090bc23f997df98b26df2a8aeb2', 2037265719, 3),
  // 0xad56900d = 2908131341; × 6 / 2³² = 4.06 → face 5
  vector(11, 'ad56900d7cbcab6ebee136036454138278599ee8b980d05de491b8d7ee64face', 2908131341, 5),
  // 0x038461c5 = 59007429; × 6 / 2³² = 0.08 → face 1
  vector(21, '038461c5d9ca5d9984a4a3872da3a0366f85f56e3cdfa72d67c71378bcb9708f', 59007429, 1),
];
