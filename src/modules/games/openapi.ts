import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { jsonResponse, OPERATOR_PROBLEMS, operatorSecurity, problemResponses } from '../../shared/openapi-components.ts';
import { gamesList } from './schemas.ts';

/** Issue #20 game listing, as routes.ts serves it. */
export function registerGamesPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/games',
    operationId: 'listGames',
    tags: ['Games'],
    summary: 'The games this operator offers',
    description:
      "Each game the operator has enabled, with its version, its theoretical RTP under the operator's config, its rules " +
      'and the JSON Schema of its `params` for `POST /bets`. A bet on a game not listed is 403 GAME_DISABLED.',
    security: operatorSecurity,
    responses: {
      200: jsonResponse(gamesList, 'the enabled games'),
      ...problemResponses(OPERATOR_PROBLEMS),
    },
  });
}
