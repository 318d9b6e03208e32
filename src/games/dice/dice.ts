import { z } from 'zod';
import { PayoutTooLargeError } from '../../modules/fairness/errors.ts';
import { fairUint32 } from '../../modules/fairness/fair-bytes.ts';
import { ParamsNotAllowedError } from '../game.ts';

/**
 * Dice (SPEC §5). All comparisons and payout arithmetic happen on integer hundredths,
 * so no float ever decides a win or an amount (§3 Money).
 */

/** Bump when the roll or payout rule changes: a round records the version it was played with. */
export const DICE_VERSION = 1;

/** 0.01 % and 98 % in hundredths (§5). */
const MIN_WIN_CHANCE = 1;
const MAX_WIN_CHANCE = 9800;
/** An operator's house edge, in hundredths of a percent: 0.5–5 % (issue #20), 1 % unless set. */
const MIN_HOUSE_EDGE = 50;
const MAX_HOUSE_EDGE = 500;

/** `value` × 100 if it has at most 2 decimals, else null. */
function toHundredths(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  const hundredths = Math.round(value * 100);
  // h / 100 is the double nearest the decimal h/100, so equality means `value` is that decimal.
  return hundredths / 100 === value ? hundredths : null;
}

/** An operator's dice settings (strict; the house edge in percent, at most 2 decimals). */
export const diceConfig = z
  .object({
    houseEdge: z
      .number({ error: 'houseEdge must be a number' })
      .min(MIN_HOUSE_EDGE / 100, { error: `houseEdge must be at least ${MIN_HOUSE_EDGE / 100} (percent)` })
      .max(MAX_HOUSE_EDGE / 100, { error: `houseEdge must be at most ${MAX_HOUSE_EDGE / 100} (percent)` })
      .refine((edge) => toHundredths(edge) !== null, { error: 'houseEdge must have at most 2 decimals' })
      .default(1),
  })
  .strict();

export type DiceConfig = z.infer<typeof diceConfig>;

export const DEFAULT_DICE_CONFIG: DiceConfig = Object.freeze(diceConfig.parse({}));

const direction = z.enum(['over', 'under'], { error: 'direction must be "over" or "under"' });

type DiceDirection = z.infer<typeof direction>;

function winChanceHundredths(targetHundredths: number, dir: DiceDirection): number {
  return dir === 'under' ? targetHundredths : 10000 - targetHundredths;
}

/** `POST /bets` params for game "dice" (strict: an unknown field is refused). */
export const diceParams = z
  .object({
    target: z
      .number({ error: 'target must be a number' })
      .refine((target) => toHundredths(target) !== null, { error: 'target must have at most 2 decimals' })
      .meta({
        minimum: 0.01,
        maximum: 99.99,
        description: 'at most 2 decimals; the win chance (target under, 100 − target over) must be 0.01–98 and at most 100 − houseEdge',
      }),
    direction: direction.meta({ description: '"under" wins when roll < target, "over" when roll > target' }),
  })
  .strict()
  .superRefine((params, ctx) => {
    const target = toHundredths(params.target);
    if (target === null) return;
    const chance = winChanceHundredths(target, params.direction);
    if (chance < MIN_WIN_CHANCE || chance > MAX_WIN_CHANCE) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message:
          `win chance must be between 0.01 and 98 (target ${params.target} ${params.direction} gives ${chance / 100}); ` +
          `under needs 0.01 ≤ target ≤ 98, over needs 2 ≤ target ≤ 99.99`,
      });
    }
  })
  .meta({
    // The win-chance bounds per direction, for JSON Schema validators and generated clients.
    // "At most 2 decimals" stays in the description: `multipleOf: 0.01` is judged in binary
    // floating point by most validators, which would refuse valid targets such as 0.07.
    description:
      'target has at most 2 decimals (not expressible in JSON Schema); the win chance must be 0.01–98 %: ' +
      'under needs 0.01 ≤ target ≤ 98, over needs 2 ≤ target ≤ 99.99',
    oneOf: [
      { properties: { direction: { const: 'under' }, target: { minimum: 0.01, maximum: 98 } } },
      { properties: { direction: { const: 'over' }, target: { minimum: 2, maximum: 99.99 } } },
    ],
  });

export type DiceParams = z.infer<typeof diceParams>;

export interface DiceRoll {
  /** 0.00–100.00, as shown to players. */
  roll: number;
  /** The same roll in hundredths, 0–10000: what wins are decided on. */
  rollHundredths: number;
}

/**
 * roll = floor(float × 10001) / 100 with float = uint32 / 2³², computed as
 * floor(uint32 × 10001 / 2³²): the product stays below 2⁵³ and the division is by a
 * power of two, so this is the same number exactly, with no rounding anywhere.
 */
export function diceRollFromUint32(uint32: number): DiceRoll {
  const rollHundredths = Math.floor((uint32 * 10001) / 2 ** 32);
  return { roll: rollHundredths / 100, rollHundredths };
}

export function rollDice(serverSeed: string, clientSeed: string, nonce: number): DiceRoll {
  return diceRollFromUint32(fairUint32(serverSeed, clientSeed, nonce));
}

function houseEdgeHundredths(config: DiceConfig): number {
  const edge = toHundredths(config.houseEdge);
  if (edge === null || edge < MIN_HOUSE_EDGE || edge > MAX_HOUSE_EDGE) {
    throw new RangeError(`dice houseEdge must be 0.5–5 with at most 2 decimals, got ${config.houseEdge}`);
  }
  return edge;
}

/**
 * What a win pays, stake included: floor(amount × (10000 − 100·houseEdge) / (100·winChance)),
 * in BigInt. Throws PayoutTooLargeError when that is not a safe integer, and
 * ParamsNotAllowedError for a win chance above 100 − houseEdge: its win would pay back
 * less than the stake (with a 5 % edge, 98 % would pay 0.969×), never a sensible bet.
 */
export function dicePayoutOnWin(amount: number, params: DiceParams, config: DiceConfig = DEFAULT_DICE_CONFIG): number {
  if (!Number.isSafeInteger(amount) || amount < 1) throw new RangeError(`amount must be a positive safe integer, got ${amount}`);
  const target = toHundredths(params.target);
  if (target === null) throw new RangeError(`target must have at most 2 decimals, got ${params.target}`);
  const chance = winChanceHundredths(target, params.direction);
  if (chance < MIN_WIN_CHANCE || chance > MAX_WIN_CHANCE) throw new RangeError(`win chance out of range: ${chance / 100}`);
  const edge = houseEdgeHundredths(config);
  if (chance > 10000 - edge) {
    throw new ParamsNotAllowedError(
      'target',
      `with this operator's house edge of ${edge / 100} % the win chance must be at most ${(10000 - edge) / 100} ` +
        `(target ${params.target} ${params.direction} gives ${chance / 100}): a win would pay back less than the stake`,
    );
  }
  const payout = (BigInt(amount) * BigInt(10000 - edge)) / BigInt(chance);
  if (payout > BigInt(Number.MAX_SAFE_INTEGER)) throw new PayoutTooLargeError(amount, payout);
  return Number(payout);
}

/** Under wins strictly below the target, over strictly above (§5), compared in hundredths. */
export function diceWins(rollHundredths: number, params: DiceParams): boolean {
  const target = toHundredths(params.target)!;
  return params.direction === 'under' ? rollHundredths < target : rollHundredths > target;
}

export interface DiceSettlement {
  win: boolean;
  /** Total credited on a win (stake included), 0 on a loss. */
  payout: number;
}

/**
 * Decides a dice bet from its roll. The possible payout is checked on every bet, not only
 * on wins: refusing only winners would tell the player the outcome of a refused bet.
 */
export function settleDice(input: {
  amount: number;
  params: DiceParams;
  roll: number | DiceRoll;
  config?: DiceConfig;
}): DiceSettlement {
  const payoutOnWin = dicePayoutOnWin(input.amount, input.params, input.config);
  const roll = typeof input.roll === 'number' ? toHundredths(input.roll) : input.roll.rollHundredths;
  if (roll === null || roll < 0 || roll > 10000) throw new RangeError(`roll must be 0–100 in hundredths, got ${String(input.roll)}`);
  const win = diceWins(roll, input.params);
  return { win, payout: win ? payoutOnWin : 0 };
}
