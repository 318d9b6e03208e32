import test from 'ava';
import { chiSquarePValue, chiSquareStatistic, upperRegularizedGamma } from './chi-square.ts';

// Critical values from the NIST/SEMATECH e-Handbook of Statistical Methods, table 1.3.6.7.4
// (upper-tail critical values of the chi-square distribution).
const CRITICAL: [df: number, p: number, value: number][] = [
  [1, 0.05, 3.841],
  [1, 0.001, 10.828],
  [5, 0.05, 11.07],
  [5, 0.01, 15.086],
  [5, 0.001, 20.515],
  [10, 0.05, 18.307],
  [99, 0.05, 123.225],
  [99, 0.001, 148.23],
  [100, 0.05, 124.342],
  [100, 0.001, 149.449],
];

for (const [df, p, value] of CRITICAL) {
  test(`P(χ²(${df}) ≥ ${value}) is ${p}, as the table says`, (t) => {
    const computed = chiSquarePValue(value, df);
    // The table's values have 3 decimals: the p-value agrees to 1 % of itself.
    t.true(Math.abs(computed - p) / p < 0.01, `${computed}`);
  });
}

test('Q(a, x) has the closed forms it must: Q(1, x) = e^-x, Q(a, 0) = 1, and the mean of χ²(2) is 2', (t) => {
  for (const x of [0.001, 0.5, 1, 2, 10, 50]) t.true(Math.abs(upperRegularizedGamma(1, x) - Math.exp(-x)) < 1e-12, String(x));
  t.is(upperRegularizedGamma(3, 0), 1);
  // χ²(2) is exponential with mean 2: P(χ² ≥ 2) = e^-1
  t.true(Math.abs(chiSquarePValue(2, 2) - Math.exp(-1)) < 1e-12);
  t.throws(() => upperRegularizedGamma(0, 1), { instanceOf: RangeError });
});

test("Pearson's statistic sums (observed − expected)² / expected", (t) => {
  // expected 25 each: (30−25)²/25 + (20−25)²/25 + 0 + 0 = 2
  t.is(chiSquareStatistic([30, 20, 25, 25], [0.25, 0.25, 0.25, 0.25]), 2);
  t.is(chiSquareStatistic([10, 10], [0.5, 0.5]), 0);
});
