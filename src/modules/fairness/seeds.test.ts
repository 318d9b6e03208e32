import test from 'ava';
import { generateClientSeed, generateServerSeed, hashServerSeed } from './seeds.ts';
import { SEED_A, SEED_A_HASH, SEED_B, SEED_B_HASH } from './test-vectors.ts';

test('a server seed is 32 random bytes as 64 lowercase hex characters', (t) => {
  const seeds = new Set(Array.from({ length: 50 }, generateServerSeed));
  t.is(seeds.size, 50);
  for (const seed of seeds) t.regex(seed, /^[0-9a-f]{64}$/);
});

test('the server seed hash is sha256 of the 64 ASCII characters, as openssl computes it', (t) => {
  t.is(hashServerSeed(SEED_A), SEED_A_HASH);
  t.is(hashServerSeed(SEED_B), SEED_B_HASH);
  t.regex(hashServerSeed(generateServerSeed()), /^[0-9a-f]{64}$/);
});

test('a default client seed is 16 random hex characters', (t) => {
  const seeds = new Set(Array.from({ length: 50 }, generateClientSeed));
  t.is(seeds.size, 50);
  for (const seed of seeds) t.regex(seed, /^[0-9a-f]{16}$/);
});
