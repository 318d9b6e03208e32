import { randomBytes } from 'node:crypto';
import { seedHmac } from '../modules/fairness/seed-hmac.ts';
import { chiSquarePValue, chiSquareStatistic } from './chi-square.ts';
import type { Game } from './game.ts';

/** z for a two-sided 99 % interval: Φ⁻¹(0.995). */
const Z_99 = 2.5758293035489;
/** Below this p-value the outcome distribution is judged not to be the game's. */
export const CHI_SQUARE_ALPHA = 0.001;
/** Nonces played per seed pair: a new random pair after that many (a key schedule per pair, not per round). */
const NONCES_PER_SEED_PAIR = 10_000;

export interface RtpReport {
  game: string;
  rounds: number;
  config: unknown;
  /** Total paid ÷ total staked. */
  measured: number;
  theoretical: number;
  ci99: [number, number];
  bins: string;
  chiSquare: number;
  degreesOfFreedom: number;
  chiSquareP: number;
  /** The interval holds the theoretical RTP and the outcome test passes (p > CHI_SQUARE_ALPHA). */
  ok: boolean;
  roundsPerSecond: number;
}

/** A new seed pair: 32 random bytes as hex (SPEC §5) and a random client seed. */
export const randomSeedPair = (): [serverSeed: string, clientSeed: string] => [randomBytes(32).toString('hex'), randomBytes(8).toString('hex')];

/**
 * Plays `rounds` of the game's reference bet (`game.simulation`) through the game's own
 * outcome and payout code, on fresh random seed pairs (or those `seedPairs` gives), and
 * measures its return and the distribution of its outcomes (issue #20, `npm run rtp`).
 * `config` is the game's config, already checked by `game.config`.
 */
export function simulateRtp(game: Game, rounds: number, config: unknown, seedPairs: () => [string, string] = randomSeedPair): RtpReport {
  if (!Number.isSafeInteger(rounds) || rounds < 2) throw new RangeError(`rounds must be an integer ≥ 2, got ${rounds}`);
  const { amount, params, bins } = game.simulation;
  // The payout depends on amount, params and config only, never on the outcome (SPEC §5).
  const payoutOnWin = game.payoutOnWin(amount, params, config);
  const counts = new Float64Array(bins.probabilities.length);
  let wins = 0;
  const started = process.hrtime.bigint();
  for (let played = 0; played < rounds; ) {
    const uint32Of = seedHmac(...seedPairs());
    const end = Math.min(rounds, played + NONCES_PER_SEED_PAIR);
    for (let nonce = 0; played < end; played++, nonce++) {
      const outcome = game.outcome(uint32Of(nonce), params);
      counts[bins.binOf(outcome)]! += 1;
      if (outcome.win) wins += 1;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  // Each round returns 0 or m = payoutOnWin / amount: mean m·w/n, variance m²·(w/n)(1 − w/n).
  const multiple = payoutOnWin / amount;
  const winShare = wins / rounds;
  const measured = multiple * winShare;
  const sampleVariance = ((multiple * multiple * winShare * (1 - winShare)) * rounds) / (rounds - 1);
  const halfWidth = Z_99 * Math.sqrt(sampleVariance / rounds);
  const theoretical = game.rtp(config);
  const chiSquare = chiSquareStatistic(counts, bins.probabilities);
  const degreesOfFreedom = bins.probabilities.length - 1;
  const chiSquareP = chiSquarePValue(chiSquare, degreesOfFreedom);
  const ci99: [number, number] = [measured - halfWidth, measured + halfWidth];
  return {
    game: game.id,
    rounds,
    config,
    measured,
    theoretical,
    ci99,
    bins: bins.label,
    chiSquare,
    degreesOfFreedom,
    chiSquareP,
    ok: ci99[0] <= theoretical && theoretical <= ci99[1] && chiSquareP > CHI_SQUARE_ALPHA,
    roundsPerSecond: rounds / seconds,
  };
}
