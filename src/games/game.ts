import type { z } from 'zod';

/** A game's outcome as bets and rounds store it: `win` and what the game drew (dice: `roll`). */
export type GameOutcome = { win: boolean } & Record<string, unknown>;

/** How a bet on a game ends: whether it won, and what it credits (stake included; 0 on a loss). */
export interface GameSettlement {
  win: boolean;
  payout: number;
}

/**
 * The chi-square test `npm run rtp` runs on a game's outcomes: each outcome falls in one
 * of `probabilities.length` bins, bin i with probability `probabilities[i]`.
 */
export interface OutcomeBins<Outcome> {
  /** Say what a bin is, for the report (e.g. "face", "roll / 1.00"). */
  label: string;
  probabilities: readonly number[];
  binOf(outcome: Outcome): number;
}

/**
 * One game (SPEC §5): everything the bet path, `/fairness/verify`, recall, OpenAPI and
 * `npm run rtp` know about it. A game is a pure function of the fair bytes: the outcome
 * comes from the first float's exact numerator (uint32 / 2³², cursor 0), never from the
 * stake, the player or the wallet's answer.
 */
export interface Game<Params = unknown, Config = unknown, Outcome extends { win: boolean } = { win: boolean }> {
  id: string;
  /** Bump when the outcome or payout rule changes: a round records the version it was played with. */
  version: number;
  description: string;
  /** `POST /bets` params (strict). */
  params: z.ZodType<Params>;
  /** The operator's settings of the game (strict, within the game's bounds; defaults filled in). */
  config: z.ZodType<Config>;
  defaultConfig: Config;
  /** What rounds and `/fairness/verify` show (OpenAPI). */
  outcomeSchema: z.ZodType;
  /**
   * The outcome of the float uint32 / 2³², for the bet's params. Params may decide only
   * `win` (dice's target), never what the bytes drew.
   */
  outcome(uint32: number, params: Params): Outcome;
  /** What the bytes alone decide, as `/fairness/verify` recomputes it (dice: the roll; no params). */
  drawn(uint32: number): Record<string, unknown>;
  drawnSchema: z.ZodType;
  /**
   * What a win would credit. Checked on every bet before its outcome is drawn, so a refusal
   * (a payout too large, params the config does not allow) reveals nothing of the outcome.
   */
  payoutOnWin(amount: number, params: Params, config: Config): number;
  /** The return to player of the game's bets under `config`, as a fraction (0.99 = 99 %). */
  rtp(config: Config): number;
  /** The reference bet `npm run rtp` plays (its RTP is `rtp(config)`), and the bins of its outcome test. */
  simulation: { amount: number; params: Params; bins: OutcomeBins<Outcome> };
}

/** What a round records as its game version (`dice-1`): the id and version, readable on its own. */
export function gameVersionLabel(game: Pick<Game, 'id' | 'version'>): string {
  return `${game.id}-${game.version}`;
}

/** A bet's settlement from its outcome and the payout on a win. */
export function settle(outcome: { win: boolean }, payoutOnWin: number): GameSettlement {
  return { win: outcome.win, payout: outcome.win ? payoutOnWin : 0 };
}

/**
 * Params the schema accepts but the operator's config does not allow (dice: a win chance
 * whose win would pay back less than the stake under its house edge). `path` is the
 * field within params; the bet path answers 400 VALIDATION_FAILED at `body.params.<path>`.
 */
export class ParamsNotAllowedError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'ParamsNotAllowedError';
  }
}
