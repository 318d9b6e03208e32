import test from 'ava';
import {
  DEFAULT_DICE_CONFIG,
  DICE_VERSION,
  diceConfig,
  diceParams,
  dicePayoutOnWin,
  diceRollFromUint32,
  rollDice,
  settleDice,
} from './dice.ts';
import { ParamsNotAllowedError } from '../game.ts';
import { PayoutTooLargeError } from '../../modules/fairness/errors.ts';
import { fairFloat } from '../../modules/fairness/fair-bytes.ts';
import { SEED_A, VECTORS } from '../../modules/fairness/test-vectors.ts';

for (const v of VECTORS) {
  test(`the dice roll of ${v.clientSeed}:${v.nonce} is ${v.rollHundredths / 100}`, (t) => {
    t.deepEqual(rollDice(v.serverSeed, v.clientSeed, v.nonce), {
      roll: v.rollHundredths / 100,
      rollHundredths: v.rollHundredths,
    });
  });
}

test('the roll spans exactly 0.00 to 100.00', (t) => {
  t.deepEqual(diceRollFromUint32(0), { roll: 0, rollHundredths: 0 });
  // (2³² − 1) × 10001 / 2³² = 10000.99999… → 10000
  t.deepEqual(diceRollFromUint32(2 ** 32 - 1), { roll: 100, rollHundredths: 10000 });
  // 50.00 starts at uint32 ≥ 2³² × 5000 / 10001 = 21474836480000 / 10001 = 2147268921.1…
  t.is(diceRollFromUint32(2147268921).rollHundredths, 4999);
  t.is(diceRollFromUint32(2147268922).rollHundredths, 5000);
});

test('rolls are always in [0, 100] with at most 2 decimals, and agree with floor(float × 10001)', (t) => {
  for (let nonce = 0; nonce < 3000; nonce += 1) {
    const { roll, rollHundredths } = rollDice(SEED_A, 'range', nonce);
    t.true(Number.isInteger(rollHundredths) && rollHundredths >= 0 && rollHundredths <= 10000);
    t.is(roll, rollHundredths / 100);
    t.is(Math.round(roll * 100), rollHundredths);
    t.is(rollHundredths, Math.floor(fairFloat(SEED_A, 'range', nonce) * 10001));
  }
});

test('the game version and default config are what rounds record', (t) => {
  t.is(DICE_VERSION, 1);
  t.deepEqual(DEFAULT_DICE_CONFIG, { houseEdge: 1 });
});

test('payouts follow floor(amount × (100 − houseEdge) / winChance)', (t) => {
  // 1000 × 9900 / 5000 = 1980
  t.is(dicePayoutOnWin(1000, { target: 50, direction: 'under' }), 1980);
  t.is(dicePayoutOnWin(1000, { target: 50, direction: 'over' }), 1980);
  // over 2: chance 98 → floor(1000 × 9900 / 9800) = floor(1010.20…) = 1010
  t.is(dicePayoutOnWin(1000, { target: 2, direction: 'over' }), 1010);
  // chance 0.01 → 1000 × 9900 / 1 = 9 900 000 (a 9900× multiplier)
  t.is(dicePayoutOnWin(1000, { target: 0.01, direction: 'under' }), 9_900_000);
  t.is(dicePayoutOnWin(1000, { target: 99.99, direction: 'over' }), 9_900_000);
  // chance 33.33 → floor(1000 × 9900 / 3333) = floor(2970.297…) = 2970
  t.is(dicePayoutOnWin(1000, { target: 33.33, direction: 'under' }), 2970);
  // fractional edge 1.5 → floor(1000 × 9850 / 5000) = 1970
  t.is(dicePayoutOnWin(1000, { target: 50, direction: 'under' }, { houseEdge: 1.5 }), 1970);
  // the smallest stake at the largest chance still pays back at least the stake
  t.is(dicePayoutOnWin(1, { target: 98, direction: 'under' }), 1);
});

test('a payout above Number.MAX_SAFE_INTEGER is refused as PAYOUT_TOO_LARGE', (t) => {
  const error = t.throws(() => dicePayoutOnWin(Number.MAX_SAFE_INTEGER, { target: 50, direction: 'under' }), {
    instanceOf: PayoutTooLargeError,
  });
  t.is(error.code, 'PAYOUT_TOO_LARGE');
  t.is(error.status, 400);
  // x × 9900 ≤ 2⁵³ − 1 = 9007199254740991 ⇔ x ≤ floor(9007199254740991 / 9900) = 909818106539:
  // the largest stake at 0.01 % chance; it pays 909818106539 × 9900 = 9007199254736100
  t.is(dicePayoutOnWin(909_818_106_539, { target: 0.01, direction: 'under' }), 9_007_199_254_736_100);
  t.throws(() => dicePayoutOnWin(909_818_106_540, { target: 0.01, direction: 'under' }), {
    instanceOf: PayoutTooLargeError,
  });
});

test('a too-large payout is refused on a losing roll too, so a refusal reveals no outcome', (t) => {
  t.throws(
    () => settleDice({ amount: Number.MAX_SAFE_INTEGER, params: { target: 50, direction: 'under' }, roll: 99.99 }),
    { instanceOf: PayoutTooLargeError },
  );
});

test('under wins strictly below the target, over strictly above', (t) => {
  const under = { target: 44.56, direction: 'under' } as const;
  t.deepEqual(settleDice({ amount: 1000, params: under, roll: 44.55 }), { win: true, payout: dicePayoutOnWin(1000, under) });
  t.deepEqual(settleDice({ amount: 1000, params: { target: 44.55, direction: 'under' }, roll: 44.55 }), {
    win: false,
    payout: 0,
  });
  t.deepEqual(settleDice({ amount: 1000, params: { target: 44.55, direction: 'over' }, roll: 44.55 }), {
    win: false,
    payout: 0,
  });
  t.true(settleDice({ amount: 1000, params: { target: 44.54, direction: 'over' }, roll: 44.55 }).win);
  // rolls whose decimal form is inexact in binary still compare exactly
  t.true(settleDice({ amount: 1000, params: { target: 0.3, direction: 'under' }, roll: 0.29 }).win);
  t.false(settleDice({ amount: 1000, params: { target: 0.29, direction: 'under' }, roll: 0.29 }).win);
});

test('settling a published vector: SEED_A clientseed:0 rolls 44.55', (t) => {
  const roll = rollDice(SEED_A, 'clientseed', 0);
  t.deepEqual(settleDice({ amount: 1000, params: { target: 50, direction: 'under' }, roll, config: { houseEdge: 1 } }), {
    win: true,
    payout: 1980,
  });
  t.deepEqual(settleDice({ amount: 1000, params: { target: 50, direction: 'over' }, roll }), { win: false, payout: 0 });
});

const accepted = (input: unknown) => diceParams.safeParse(input).success;
const messages = (input: unknown) => diceParams.safeParse(input).error?.issues.map((issue) => issue.message) ?? [];

test('targets at the win-chance bounds are accepted', (t) => {
  t.true(accepted({ target: 0.01, direction: 'under' }));
  t.true(accepted({ target: 98, direction: 'under' }));
  t.true(accepted({ target: 2, direction: 'over' }));
  t.true(accepted({ target: 99.99, direction: 'over' }));
  t.true(accepted({ target: 50.5, direction: 'over' }));
});

test('targets outside the win-chance bounds are refused with a clear message', (t) => {
  for (const params of [
    { target: 98.01, direction: 'under' },
    { target: 0, direction: 'under' },
    { target: 1.99, direction: 'over' },
    { target: 100, direction: 'over' },
    { target: -5, direction: 'under' },
    { target: 150, direction: 'over' },
  ]) {
    t.false(accepted(params), JSON.stringify(params));
    t.regex(messages(params).join(), /win chance must be between 0\.01 and 98/);
  }
  t.deepEqual(diceParams.safeParse({ target: 98.01, direction: 'under' }).error?.issues[0]?.path, ['target']);
});

test('a target with more than 2 decimals is refused', (t) => {
  t.false(accepted({ target: 50.123, direction: 'under' }));
  t.false(accepted({ target: 1.005, direction: 'under' }));
  t.deepEqual(messages({ target: 50.123, direction: 'under' }), ['target must have at most 2 decimals']);
});

test('non-numbers, NaN, infinities, bad directions and unknown fields are refused', (t) => {
  for (const params of [
    { target: '50', direction: 'under' },
    { target: Number.NaN, direction: 'under' },
    { target: Number.POSITIVE_INFINITY, direction: 'over' },
    { target: null, direction: 'under' },
    { direction: 'under' },
    { target: 50, direction: 'sideways' },
    { target: 50 },
    { target: 50, direction: 'under', multiplier: 2 },
    'target=50',
    null,
  ]) {
    t.false(accepted(params), JSON.stringify(params));
  }
  t.deepEqual(messages({ target: '50', direction: 'under' }), ['target must be a number']);
  t.deepEqual(messages({ target: 50, direction: 'sideways' }), ['direction must be "over" or "under"']);
});

test('a house edge outside 0.5–5 % or with 3 decimals is a configuration error', (t) => {
  const params = { target: 50, direction: 'under' } as const;
  for (const houseEdge of [5.01, 0.49, 1.234, -1, 0]) {
    t.throws(() => dicePayoutOnWin(1000, params, { houseEdge }), { instanceOf: RangeError }, String(houseEdge));
    t.false(diceConfig.safeParse({ houseEdge }).success, String(houseEdge));
  }
  // 1000 × (10000 − 50) / 5000 = 1990; 1000 × 9500 / 5000 = 1900
  t.is(dicePayoutOnWin(1000, params, { houseEdge: 0.5 }), 1990);
  t.is(dicePayoutOnWin(1000, params, { houseEdge: 5 }), 1900);
  t.deepEqual(diceConfig.parse({}), { houseEdge: 1 });
  t.false(diceConfig.safeParse({ houseEdge: 1, rake: 2 }).success);
});

test('a win chance whose win would pay back less than the stake under the house edge is refused at params.target', (t) => {
  // edge 5 %: chance 95 pays exactly the stake back (1000 × 9500 / 9500), 95.01 would pay less
  t.is(dicePayoutOnWin(1000, { target: 95, direction: 'under' }, { houseEdge: 5 }), 1000);
  const error = t.throws(() => dicePayoutOnWin(1000, { target: 95.01, direction: 'under' }, { houseEdge: 5 }), {
    instanceOf: ParamsNotAllowedError,
  });
  t.is(error.path, 'target');
  t.throws(() => dicePayoutOnWin(1000, { target: 4.99, direction: 'over' }, { houseEdge: 5 }), { instanceOf: ParamsNotAllowedError });
  // at the default 1 % every chance up to 98 is allowed
  t.is(dicePayoutOnWin(1000, { target: 98, direction: 'under' }), 1010);
});
