import { z } from 'zod';
import { GAMES } from '../../games/registry.ts';

/** `GET /games` item (issue #20): a game the operator offers, as an integrator needs it. */
export interface GameView {
  id: string;
  version: number;
  /** Under the operator's config in force, as a fraction (0.99 = 99 %). */
  rtp: number;
  description: string;
  /** The `params` of `POST /bets` for this game, as JSON Schema (draft 2020-12). */
  paramsSchema: Record<string, unknown>;
  config: unknown;
}

// The params' JSON Schema is the same on every request: made once per game.
const paramsSchemas = new Map(GAMES.map((game) => [game.id, z.toJSONSchema(game.params, { unrepresentable: 'any' }) as Record<string, unknown>]));

/** The games in `enabled` (the operator's, each with its config in force), in registry order. */
export function listGames(enabled: ReadonlyMap<string, unknown>): GameView[] {
  return GAMES.filter((game) => enabled.has(game.id)).map((game) => {
    const config = enabled.get(game.id);
    return {
      id: game.id,
      version: game.version,
      rtp: game.rtp(config),
      description: game.description,
      paramsSchema: paramsSchemas.get(game.id)!,
      config,
    };
  });
}
