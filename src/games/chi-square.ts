/**
 * The chi-square test's p-value, P(χ²_df ≥ x) = Q(df/2, x/2), the regularized upper
 * incomplete gamma function, as in Numerical Recipes (3rd ed., §6.2): the series for
 * x < a + 1, Lentz's continued fraction beyond, ln Γ by Lanczos (g = 7, n = 9). Written here
 * rather than taken from a statistics package: `npm run rtp` needs this one function, ~40
 * lines that chi-square.test.ts checks against published table values, and the packages
 * that have it (jStat, simple-statistics) bring far more code than that to review.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPSILON = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/** P(a, x) by its series; converges fast for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
}

/** Q(a, x) by its continued fraction (modified Lentz); converges fast for x ≥ a + 1. */
function upperFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/** Q(a, x) = Γ(a, x) / Γ(a), for a > 0, x ≥ 0. */
export function upperRegularizedGamma(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`need a > 0 and x ≥ 0, got a=${a}, x=${x}`);
  if (x === 0) return 1;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperFraction(a, x);
}

/** P(χ² with `degreesOfFreedom` ≥ `statistic`). */
export function chiSquarePValue(statistic: number, degreesOfFreedom: number): number {
  return upperRegularizedGamma(degreesOfFreedom / 2, statistic / 2);
}

/** Pearson's statistic Σ (observed − expected)² / expected, with expected = total × probability. */
export function chiSquareStatistic(observed: ArrayLike<number>, probabilities: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < observed.length; i++) total += observed[i]!;
  let statistic = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const expected = total * probabilities[i]!;
    statistic += (observed[i]! - expected) ** 2 / expected;
  }
  return statistic;
}
