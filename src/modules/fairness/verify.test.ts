import test from 'ava';
import { fairnessVerifyQuery } from './schemas.ts';
import { SEED_A, SEED_A_HASH, SEED_B, VECTORS } from './test-vectors.ts';
import { verifyOutcome } from './verify.ts';

test('verify recomputes a published vector in the §3 shape', (t) => {
  t.deepEqual(verifyOutcome({ game: 'dice', serverSeed: SEED_A, clientSeed: 'clientseed', nonce: 0, config: { houseEdge: 1 } }), {
    game: 'dice',
    gameVersion: 'dice-1',
    serverSeedHash: SEED_A_HASH,
    clientSeed: 'clientseed',
    nonce: 0,
    config: { houseEdge: 1 },
    outcome: { roll: 44.55 },
  });
  const v = VECTORS.at(-1)!;
  t.is(verifyOutcome({ game: 'dice', serverSeed: SEED_B, clientSeed: v.clientSeed, nonce: v.nonce, config: {} }).outcome.roll, 24.46);
});

test('the verify query parses strings from the URL', (t) => {
  t.deepEqual(fairnessVerifyQuery.parse({ game: 'dice', serverSeed: SEED_A, clientSeed: 'Hello World!', nonce: '42' }), {
    game: 'dice',
    serverSeed: SEED_A,
    clientSeed: 'Hello World!',
    nonce: 42,
    config: { houseEdge: 1 },
    params: undefined,
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
    { ...good, config: '{"houseEdge":6}' },
    { ...good, config: 'houseEdge=1' },
    { ...good, params: '{"target":50}' },
    { ...good, amount: '100' },
    { ...good, params: '{"target":50,"direction":"under"}', amount: '0' },
  ]) {
    t.false(fairnessVerifyQuery.safeParse(bad).success, JSON.stringify(bad));
  }
  t.true(fairnessVerifyQuery.safeParse({ ...good, nonce: '9007199254740991' }).success);
});

test("with a round's config, params and amount, verify replays the whole round: whether it won and what it paid", (t) => {
  const query = fairnessVerifyQuery.parse({
    game: 'dice',
    serverSeed: SEED_A,
    clientSeed: 'clientseed',
    nonce: '0',
    config: '{"houseEdge":2.5}',
    params: '{"target":50,"direction":"under"}',
    amount: '1000',
  });
  // roll 44.55 < 50 wins; floor(1000 × (10000 − 250) / 5000) = 1950
  t.like(verifyOutcome(query), { config: { houseEdge: 2.5 }, outcome: { roll: 44.55, win: true }, payout: 1950 });
  const lost = fairnessVerifyQuery.parse({ ...query, nonce: '0', config: '{}', params: '{"target":50,"direction":"over"}', amount: '1000' });
  t.like(verifyOutcome(lost), { config: { houseEdge: 1 }, outcome: { roll: 44.55, win: false }, payout: 0 });
});

test('lucky-dice verifies by its face, and a 6 pays 5×', (t) => {
  // printf '%s' "lucky:1:0" | openssl dgst -sha256 -hmac "$SEED_A" → ec44acaa… → face 6 (src/games/lucky-dice/test-vectors.ts)
  const query = fairnessVerifyQuery.parse({ game: 'lucky-dice', serverSeed: SEED_A, clientSeed: 'lucky', nonce: '1', params: '{}', amount: '300' });
  t.like(verifyOutcome(query), { game: 'lucky-dice', gameVersion: 'lucky-dice-1', config: {}, outcome: { face: 6, win: true }, payout: 1500 });
  t.deepEqual(verifyOutcome(fairnessVerifyQuery.parse({ game: 'lucky-dice', serverSeed: SEED_A, clientSeed: 'lucky', nonce: '0' })).outcome, { face: 2, win: false });
});
