import test from 'ava';
import { PayoutTooLargeError } from '../../modules/fairness/errors.ts';
import { fairBytes, fairUint32 } from '../../modules/fairness/fair-bytes.ts';
import { luckyDiceFace, luckyDiceGame } from './game.ts';
import { LUCKY_DICE_VECTORS } from './test-vectors.ts';

for (const v of LUCKY_DICE_VECTORS) {
  test(`lucky:${v.nonce} draws face ${v.face}, as openssl's HMAC says`, (t) => {
    t.is(fairBytes(v.serverSeed, v.clientSeed, v.nonce, 32).toString('hex'), v.hmac);
    const uint32 = fairUint32(v.serverSeed, v.clientSeed, v.nonce);
    t.is(uint32, v.uint32);
    t.deepEqual(luckyDiceGame.outcome(uint32, {}), { face: v.face, win: v.face === 6 });
  });
}

test('every face is 1–6 and the faces split the floats into six equal parts', (t) => {
  t.is(luckyDiceFace(0), 1);
  t.is(luckyDiceFace(2 ** 32 - 1), 6);
  // face k starts at the first uint32 ≥ 2³² × (k − 1) / 6: 715827882.67 → 715827883, …
  for (let face = 2; face <= 6; face++) {
    const start = Math.ceil((2 ** 32 * (face - 1)) / 6);
    t.is(luckyDiceFace(start - 1), face - 1);
    t.is(luckyDiceFace(start), face);
  }
});

test('a 6 pays amount × 5, stake included; any other face pays nothing', (t) => {
  t.is(luckyDiceGame.payoutOnWin(1_000, {}, {}), 5_000);
  t.deepEqual(luckyDiceGame.outcome(2 ** 32 - 1, {}), { face: 6, win: true });
  t.deepEqual(luckyDiceGame.outcome(0, {}), { face: 1, win: false });
  t.is(luckyDiceGame.rtp({}), 5 / 6);
  t.is(luckyDiceGame.version, 1);
});

test('a stake whose win would pass Number.MAX_SAFE_INTEGER is PAYOUT_TOO_LARGE, whatever the face', (t) => {
  // 5 × 1801439850948198 = 9007199254740990 ≤ 2⁵³ − 1; one more unit is too much
  t.is(luckyDiceGame.payoutOnWin(1_801_439_850_948_198, {}, {}), 9_007_199_254_740_990);
  t.throws(() => luckyDiceGame.payoutOnWin(1_801_439_850_948_199, {}, {}), { instanceOf: PayoutTooLargeError });
});

test('params and config are {} and nothing else', (t) => {
  t.true(luckyDiceGame.params.safeParse({}).success);
  t.false(luckyDiceGame.params.safeParse({ face: 6 }).success);
  t.false(luckyDiceGame.params.safeParse(null).success);
  t.true(luckyDiceGame.config.safeParse({}).success);
  t.false(luckyDiceGame.config.safeParse({ multiplier: 6 }).success);
});
