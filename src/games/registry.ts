import { diceGame } from './dice/game.ts';
import type { Game } from './game.ts';
import { luckyDiceGame } from './lucky-dice/game.ts';

/**
 * A game as the registry holds it, its params, config and outcome types erased: callers
 * parse params with `game.params` and config with `game.config` before handing them back
 * to the same game, so each game only ever sees values of its own types.
 */
function registered<Params, Config, Outcome extends { win: boolean }>(game: Game<Params, Config, Outcome>): Game {
  return game as unknown as Game;
}

/**
 * Every game the RGS plays. The bet path, `/fairness/verify`, recall, `GET /games`, OpenAPI
 * and `npm run rtp` learn games here only: adding a game is a folder under src/games/ and
 * one line below (docs/games.md).
 */
export const GAMES: readonly Game[] = [registered(diceGame), registered(luckyDiceGame)];

/** The ids, for zod enums (`[first, ...rest]`, as z.enum wants them). */
export const GAME_IDS = GAMES.map((game) => game.id) as [string, ...string[]];

/** The game with this id, or undefined. */
export function findGame(id: string): Game | undefined {
  return GAMES.find((game) => game.id === id);
}
