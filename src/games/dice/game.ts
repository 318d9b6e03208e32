import { z } from 'zod';
import type { Game } from '../game.ts';
import { DICE_VERSION, diceConfig, diceParams, dicePayoutOnWin, diceRollFromUint32, diceWins, DEFAULT_DICE_CONFIG, type DiceConfig, type DiceParams } from './dice.ts';

/** The 10001 rolls 0.00–100.00 in 100 bins of (nearly) equal width: bin k holds the rolls h/100 with floor(h × 100 / 10001) = k. */
const ROLLS = 10001;
const BINS = 100;
const binOfHundredths = (hundredths: number) => Math.floor((hundredths * BINS) / ROLLS);
const rollsPerBin = Array.from({ length: BINS }, () => 0);
for (let hundredths = 0; hundredths < ROLLS; hundredths++) rollsPerBin[binOfHundredths(hundredths)]! += 1;

const diceOutcome = z.object({ roll: z.number().min(0).max(100), win: z.boolean() }).meta({ id: 'DiceOutcome' });
const diceDrawn = z.object({ roll: z.number().min(0).max(100) }).meta({ id: 'DiceRoll' });

/** SPEC §5 dice: roll 0.00–100.00, over or under a target, paid by the win chance less the house edge. */
export const diceGame: Game<DiceParams, DiceConfig, z.infer<typeof diceOutcome>> = {
  id: 'dice',
  version: DICE_VERSION,
  description:
    'Roll 0.00–100.00 = floor(float × 10001) / 100; "under" wins when roll < target, "over" when roll > target. ' +
    'A win pays floor(amount × (100 − houseEdge) / winChance), stake included; win chance 0.01–98 and at most 100 − houseEdge.',
  params: diceParams,
  config: diceConfig,
  defaultConfig: DEFAULT_DICE_CONFIG,
  outcomeSchema: diceOutcome,
  drawnSchema: diceDrawn,
  outcome(uint32, params) {
    const { roll, rollHundredths } = diceRollFromUint32(uint32);
    return { roll, win: diceWins(rollHundredths, params) };
  },
  drawn: (uint32) => ({ roll: diceRollFromUint32(uint32).roll }),
  payoutOnWin: dicePayoutOnWin,
  // Every bet returns the same: "under T" wins on the T·100 rolls below T of the 10001 and
  // pays (10000 − edge) / (T·100) per unit ("over" likewise), so RTP = (10000 − edge) /
  // 10001 in hundredths — 0.98990 at 1 %, not 0.99: the roll 100.00 (one in 10001) wins
  // nothing. Flooring a payout to minor units lowers it further by < 1 unit per win; the
  // uint32 → roll mapping shifts each roll's probability by < 10⁻⁶ of itself.
  rtp: (config) => (10000 - Math.round(config.houseEdge * 100)) / ROLLS,
  // 10000 at 50 % chance pays 2 × (10000 − edge) exactly, with no flooring.
  simulation: {
    amount: 10_000,
    params: { target: 50, direction: 'under' },
    bins: {
      label: '100 equal bins of the roll',
      probabilities: rollsPerBin.map((count) => count / ROLLS),
      binOf: (outcome) => binOfHundredths(Math.round(outcome.roll * 100)),
    },
  },
};
