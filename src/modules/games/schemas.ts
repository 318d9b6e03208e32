import { z } from 'zod';
import { anyGameConfig } from '../../games/schemas.ts';

/** `GET /games` (issue #20): the games the calling operator has enabled. */
export const gamesList = z
  .object({
    items: z.array(
      z
        .object({
          id: z.string(),
          version: z.int().min(1),
          rtp: z.number().min(0).max(1).meta({ description: "the theoretical return to player under the operator's config, as a fraction" }),
          description: z.string(),
          paramsSchema: z.record(z.string(), z.unknown()).meta({ description: 'the `params` of `POST /bets` for this game, as JSON Schema' }),
          config: anyGameConfig,
        })
        .meta({ id: 'Game' }),
    ),
  })
  .meta({ id: 'GamesList' });
