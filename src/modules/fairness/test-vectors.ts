/*
 * Published test vectors, computed with openssl (OpenSSL 3.0), never with this code.
 * Anyone can rerun the commands below and compare.
 *
 *   printf '%s' "<serverSeed>" | openssl dgst -sha256
 *   printf '%s' "<clientSeed>:<nonce>:<cursor>" | openssl dgst -sha256 -hmac "<serverSeed>"
 */

export const SEED_A = '21fa9a74cd047aa87062d8420006fad3c907d417907dafd9c2229b668db5c48e';
// printf '%s' "21fa9a74cd047aa87062d8420006fad3c907d417907dafd9c2229b668db5c48e" | openssl dgst -sha256
export const SEED_A_HASH = '69f1581c56cdbc9cae7f67e0a5b969a30b165a23458c643a0c623fd056e1634d';

export const SEED_B = 'f1b2a81e49a26e0e36dc3d5be7705b72a30afc51e5d26e164de46def42a4629f';
// printf '%s' "f1b2a81e49a26e0e36dc3d5be7705b72a30afc51e5d26e164de46def42a4629f" | openssl dgst -sha256
export const SEED_B_HASH = 'e277e4d97f84ff3446b06c62b09de5bb74e735ae0dc56a8c66d07a64741021b7';

export interface Vector {
  serverSeed: string;
  clientSeed: string;
  nonce: number;
  /** HMAC of cursor 0, from openssl. */
  hmac: string;
  /** b0·2²⁴ + b1·2¹⁶ + b2·2⁸ + b3: the float is uint32 / 2³². */
  uint32: number;
  /** floor(uint32 × 10001 / 2³²) = floor(float × 10001). */
  rollHundredths: number;
}

export const VECTORS: Vector[] = [
  // printf '%s' "clientseed:0:0" | openssl dgst -sha256 -hmac "$SEED_A"
  // bytes 72 0a 84 3e = 114, 10, 132, 62
  // 114·16777216 = 1912602624; 10·65536 = 655360; 132·256 = 33792; + 62 → 1913291838
  // float = 1913291838 / 4294967296 ≈ 0.445473
  // 1913291838 × 10001 = 19134831671838; / 4294967296 = 4455.1752 → 4455 → roll 44.55
  {
    serverSeed: SEED_A,
    clientSeed: 'clientseed',
    nonce: 0,
    hmac: '720a843e3feb76e4a82a5f7fbefb91ad4bdc677f8a8840b0cc1c37dfff8f8676',
    uint32: 1913291838,
    rollHundredths: 4455,
  },
  // printf '%s' "clientseed:1:0" | openssl dgst -sha256 -hmac "$SEED_A"
  // bytes 4f 47 3f e9 = 79, 71, 63, 233
  // 79·16777216 = 1325400064; 71·65536 = 4653056; 63·256 = 16128; + 233 → 1330069481
  // float ≈ 0.309681; × 10001: 13302024879481 / 4294967296 = 3097.1190 → 3097 → roll 30.97
  {
    serverSeed: SEED_A,
    clientSeed: 'clientseed',
    nonce: 1,
    hmac: '4f473fe964cd78bdb2ac27d8495e20e66e2c327d0a9e647229a5e62aa5c66bd7',
    uint32: 1330069481,
    rollHundredths: 3097,
  },
  // printf '%s' "clientseed:42:0" | openssl dgst -sha256 -hmac "$SEED_A"
  // bytes 89 c3 ed 00 = 137, 195, 237, 0
  // 137·16777216 = 2298478592; 195·65536 = 12779520; 237·256 = 60672; + 0 → 2311318784
  // float ≈ 0.538146; × 10001: 23115499158784 / 4294967296 = 5381.9965 → 5381 → roll 53.81
  {
    serverSeed: SEED_A,
    clientSeed: 'clientseed',
    nonce: 42,
    hmac: '89c3ed0002026d7cdeed347c85bf6b2da2c543cf15a30648e25f8eec887c6578',
    uint32: 2311318784,
    rollHundredths: 5381,
  },
  // printf '%s' "player-7:0:0" | openssl dgst -sha256 -hmac "$SEED_B"
  // bytes fc c8 40 2d = 252, 200, 64, 45
  // 252·16777216 = 4227858432; 200·65536 = 13107200; 64·256 = 16384; + 45 → 4240982061
  // float ≈ 0.987431; × 10001: 42414061592061 / 4294967296 = 9875.2933 → 9875 → roll 98.75
  {
    serverSeed: SEED_B,
    clientSeed: 'player-7',
    nonce: 0,
    hmac: 'fcc8402de24245c8f061568a97b9bac15d40effe4648cfafe43c4c1dbae800ce',
    uint32: 4240982061,
    rollHundredths: 9875,
  },
  // printf '%s' "player-7:999999:0" | openssl dgst -sha256 -hmac "$SEED_B"
  // bytes 54 d9 5a 9a = 84, 217, 90, 154
  // 84·16777216 = 1409286144; 217·65536 = 14221312; 90·256 = 23040; + 154 → 1423530650
  // float ≈ 0.331442; × 10001: 14236730030650 / 4294967296 = 3314.7470 → 3314 → roll 33.14
  {
    serverSeed: SEED_B,
    clientSeed: 'player-7',
    nonce: 999999,
    hmac: '54d95a9a1a4ebd126017ea05b2a3178d8e793152b3e25092a2a066605136ba96',
    uint32: 1423530650,
    rollHundredths: 3314,
  },
  // printf '%s' "Hello World!:3:0" | openssl dgst -sha256 -hmac "$SEED_B"
  // bytes 3e a1 cb 32 = 62, 161, 203, 50
  // 62·16777216 = 1040187392; 161·65536 = 10551296; 203·256 = 51968; + 50 → 1050790706
  // float ≈ 0.244656; × 10001: 10508957850706 / 4294967296 = 2446.8074 → 2446 → roll 24.46
  {
    serverSeed: SEED_B,
    clientSeed: 'Hello World!',
    nonce: 3,
    hmac: '3ea1cb32e8da88a8927c7f3f8865f371a0cb1fce044156ba55cfed462d7b9348',
    uint32: 1050790706,
    rollHundredths: 2446,
  },
];

// printf '%s' "clientseed:0:1" | openssl dgst -sha256 -hmac "$SEED_A"
// Bytes 32 and up of (SEED_A, "clientseed", nonce 0) come from cursor 1.
export const SEED_A_CLIENTSEED_0_CURSOR_1 = '2fd84061a230005814cfb97b7c081f4415102ef79e65942ac0d1cd793b8a4b34';
