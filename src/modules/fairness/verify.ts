import { findGame } from '../../games/registry.ts';
import { gameVersionLabel, ParamsNotAllowedError, settle } from '../../games/game.ts';
import { ValidationError } from '../../shared/errors.ts';
import { PayoutTooLargeError } from './errors.ts';
import { fairUint32 } from './fair-bytes.ts';
import { hashServerSeed } from './seeds.ts';

export interface VerifyOutcomeInput {
  game: string;
  serverSeed: string;
  clientSeed: string;
  nonce: number;
  /** Checked by the game's config schema (defaults filled in). */
  config: unknown;
  /** Checked by the game's params schema; with them the outcome says whether the bet won. */
  params?: unknown;
  /** With params: the answer says what the bet paid under `config`. */
  amount?: number;
}

/** The `GET /fairness/verify` body (§3): the outcome recomputed from revealed seeds alone. */
export interface VerifiedOutcome {
  game: string;
  gameVersion: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: number;
  config: unknown;
  /** What the bytes decide (dice: the roll; lucky-dice: the face and whether it wins); with params, whether the bet won. */
  outcome: Record<string, unknown>;
  payout?: number;
}

/** `input.game` is one of the registry's (the query schema checked it). */
export function verifyOutcome(input: VerifyOutcomeInput): VerifiedOutcome {
  const game = findGame(input.game);
  if (!game) throw new RangeError(`unknown game ${input.game}`);
  const uint32 = fairUint32(input.serverSeed, input.clientSeed, input.nonce);
  const played = input.params === undefined ? undefined : game.outcome(uint32, input.params);
  return {
    game: game.id,
    gameVersion: gameVersionLabel(game),
    serverSeedHash: hashServerSeed(input.serverSeed),
    clientSeed: input.clientSeed,
    nonce: input.nonce,
    config: input.config,
    outcome: played ?? game.drawn(uint32),
    ...(played && input.amount !== undefined && { payout: payoutOf(input, played) }),
  };
}

function payoutOf(input: VerifyOutcomeInput, outcome: { win: boolean }): number {
  const game = findGame(input.game)!;
  try {
    return settle(outcome, game.payoutOnWin(input.amount!, input.params, input.config)).payout;
  } catch (error) {
    if (error instanceof PayoutTooLargeError) throw new ValidationError([{ path: 'query.amount', message: error.detail }]);
    if (error instanceof ParamsNotAllowedError) throw new ValidationError([{ path: `query.params.${error.path}`, message: error.message }]);
    throw error;
  }
}
