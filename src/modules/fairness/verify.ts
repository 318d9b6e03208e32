import { findGame } from '../../games/registry.ts';
import { gameVersionLabel } from '../../games/game.ts';
import { fairUint32 } from './fair-bytes.ts';
import { hashServerSeed } from './seeds.ts';

export interface VerifyOutcomeInput {
  game: string;
  serverSeed: string;
  clientSeed: string;
  nonce: number;
}

/** The `GET /fairness/verify` body (§3): the outcome recomputed from revealed seeds alone. */
export interface VerifiedOutcome {
  game: string;
  gameVersion: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: number;
  /** What the bytes decide (dice: the roll; lucky-dice: the face and whether it wins). */
  outcome: Record<string, unknown>;
}

/** `input.game` is one of the registry's (the query schema checked it). */
export function verifyOutcome(input: VerifyOutcomeInput): VerifiedOutcome {
  const game = findGame(input.game);
  if (!game) throw new RangeError(`unknown game ${input.game}`);
  return {
    game: game.id,
    gameVersion: gameVersionLabel(game),
    serverSeedHash: hashServerSeed(input.serverSeed),
    clientSeed: input.clientSeed,
    nonce: input.nonce,
    outcome: game.drawn(fairUint32(input.serverSeed, input.clientSeed, input.nonce)),
  };
}
