import test from 'ava';
import { fairnessVerifyQuery } from './schemas.ts';
import { SEED_A, SEED_A_HASH, SEED_B, VECTORS } from './test-vectors.ts';
import { verifyOutcome } from './verify.ts';

test('verify recomputes a published vector in the §3 shape', (t) => {
  t.deepEqual(verifyOutcome({ game: 'dice', serverSeed: SEED_A, clientSeed: 'clientseed', nonce: 0 }), {
    game: 'dice',
    gameVersion: 'dice-1',
    serverSeedHash: SEED_A_HASH,
    clientSeed: 'clientseed',
    nonce: 0,
    outcome: { roll: 44.55 },
  });
  const v = VECTORS.at(-1)!;
  t.is(verifyOutcome({ game: 'dice', serverSeed: SEED_B, clientSeed: v.clientSeed, nonce: v.nonce }).outcome.roll, 24.46);
});

test('the verify query parses strings from the URL', (t) => {
  t.deepEqual(fairnessVerifyQuery.parse({ game: 'dice', serverSeed: SEED_A, clientSeed: 'Hello World!', nonce: '42' }), {
    game: 'dice',
    serverSeed: SEED_A,
    clientSeed: 'Hello World!',
    nonce: 42,
  });
});

test('the verify query refuses anything malformed', (t) => {
  const good = { game: 'dice', serverSeed: SEED_A, clientSeed: 'c', nonce: '0' };
  for (const bad of [
    { ...good, game: 'crash' },
    { ...good, serverSeed: SEED_A.toUpperCase() },
    { ...good, serverSeed: SEED_A.slice(1) },
    { ...good, clientSeed: '' },
    { ...good, clientSeed: 'x'.repeat(65) },
    { ...good, clientSeed: 'tab\there' },
    { ...good, clientSeed: 'café' },
    { ...good, nonce: '-1' },
    { ...good, nonce: '1.5' },
    { ...good, nonce: '' },
    { ...good, nonce: '1e3' },
    { ...good, nonce: '9007199254740992' },
    { ...good, extra: '1' },
  ]) {
    t.false(fairnessVerifyQuery.safeParse(bad).success, JSON.stringify(bad));
  }
  t.true(fairnessVerifyQuery.safeParse({ ...good, nonce: '9007199254740991' }).success);
});
