import { DICE_GAME_VERSION, rollDice } from './dice.ts';
import type { FairGame } from './schemas.ts';
import { hashServerSeed } from './seeds.ts';

export interface VerifyOutcomeInput {
  game: FairGame;
  serverSeed: string;
  clientSeed: string;
  nonce: number;
}

/** The `GET /fairness/verify` body (§3): the outcome recomputed from revealed seeds alone. */
export interface VerifiedOutcome {
  game: FairGame;
  gameVersion: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: number;
  outcome: { roll: number };
}

export function verifyOutcome(input: VerifyOutcomeInput): VerifiedOutcome {
  const { roll } = rollDice(input.serverSeed, input.clientSeed, input.nonce);
  return {
    game: input.game,
    gameVersion: DICE_GAME_VERSION,
    serverSeedHash: hashServerSeed(input.serverSeed),
    clientSeed: input.clientSeed,
    nonce: input.nonce,
    outcome: { roll },
  };
}
