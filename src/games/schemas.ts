import { z } from 'zod';
import { GAMES } from './registry.ts';

// What bets, rounds and recall show of any game, for their response schemas and OpenAPI:
// the union of every registered game's own schema.

const unionOf = (schemas: z.ZodType[]) => z.union(schemas as [z.ZodType, z.ZodType, ...z.ZodType[]]);

export const anyGameParams = unionOf(GAMES.map((game) => game.params)).meta({ description: "the game's params" });

export const anyGameOutcome = unionOf(GAMES.map((game) => game.outcomeSchema)).meta({ description: "the game's outcome" });

export const anyGameConfig = unionOf(GAMES.map((game) => game.config)).meta({ description: "the operator's config of the game in force when the round was played" });
