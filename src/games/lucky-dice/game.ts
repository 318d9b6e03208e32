import { z } from 'zod';
import { PayoutTooLargeError } from '../../modules/fairness/errors.ts';
import type { Game } from '../game.ts';

/** What a 6 pays, stake included (issue #20: the original system's rule). */
const MULTIPLIER = 5;
const FACES = 6;

/**
 * face = floor(float × 6) + 1 with float = uint32 / 2³², computed as floor(uint32 × 6 / 2³²):
 * exact (the product is below 2⁵³, the division by a power of two). Each face has 2³²/6
 * floats, give or take one, so probability 1/6 within 2.4 × 10⁻¹⁰ — unlike the original's
 * `byte % 6`, which gave faces 1–4 a 43/256 chance and 5–6 only 42/256.
 */
export function luckyDiceFace(uint32: number): number {
  return Math.floor((uint32 * FACES) / 2 ** 32) + 1;
}

const luckyDiceOutcome = z.object({ face: z.int().min(1).max(6), win: z.boolean() }).meta({ id: 'LuckyDiceOutcome' });

/** Lucky Dice: no params (`{}`) and no settings. */
const noParams = z.object({}).strict();
const noConfig = z.object({}).strict();

/** Lucky Dice (SPEC §5, issue #20): a six-sided die; a 6 pays 5× the stake, any other face nothing. */
export const luckyDiceGame: Game<z.infer<typeof noParams>, z.infer<typeof noConfig>, z.infer<typeof luckyDiceOutcome>> = {
  id: 'lucky-dice',
  version: 1,
  description: 'A six-sided die: face = floor(float × 6) + 1. A 6 pays amount × 5 (stake included), any other face pays 0. No params.',
  params: noParams,
  config: noConfig,
  defaultConfig: Object.freeze({}),
  outcomeSchema: luckyDiceOutcome,
  drawnSchema: luckyDiceOutcome,
  outcome(uint32) {
    const face = luckyDiceFace(uint32);
    return { face, win: face === FACES };
  },
  drawn(uint32) {
    const face = luckyDiceFace(uint32);
    return { face, win: face === FACES };
  },
  payoutOnWin(amount) {
    const payout = BigInt(amount) * BigInt(MULTIPLIER);
    if (payout > BigInt(Number.MAX_SAFE_INTEGER)) throw new PayoutTooLargeError(amount, payout);
    return Number(payout);
  },
  rtp: () => MULTIPLIER / FACES,
  simulation: {
    amount: 100,
    params: {},
    bins: { label: 'the six faces', probabilities: Array.from({ length: FACES }, () => 1 / FACES), binOf: (outcome) => outcome.face - 1 },
  },
};
