import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  jsonResponse,
  OPERATOR_PROBLEMS,
  operatorSecurity,
  PARAMS_PROBLEMS,
  problemResponses,
  QUERY_PROBLEMS,
} from '../../shared/openapi-components.ts';
import { idParams } from '../../shared/schemas.ts';
import { playerRoundsParams, playerRoundsQuery, recalledRoundsPage, roundView } from './schemas.ts';

/** SPEC §3 rounds and game recall, as routes.ts serves them. */
export function registerRoundsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/rounds/{id}',
    operationId: 'getRound',
    tags: ['Rounds'],
    summary: 'Get a round',
    description:
      "The round with its game version, config, outcome and seeds; the server seed once revealed. The outcome is null until the bet's debit is applied (for a rejected or cancelled bet, until the seed pair is revealed).",
    security: operatorSecurity,
    request: { params: idParams },
    responses: {
      200: jsonResponse(roundView, 'the round'),
      ...problemResponses(OPERATOR_PROBLEMS, PARAMS_PROBLEMS, { 404: ['NOT_FOUND'] }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/players/{playerId}/rounds',
    operationId: 'listPlayerRounds',
    tags: ['Rounds'],
    summary: "A player's last rounds (game recall)",
    description:
      "Newest first, each with its bet: enough to replay it once the outcome shows (null until the bet's debit is applied). A player never launched is 404.",
    security: operatorSecurity,
    request: { params: playerRoundsParams, query: playerRoundsQuery },
    responses: {
      200: jsonResponse(recalledRoundsPage, 'a page of rounds'),
      ...problemResponses(OPERATOR_PROBLEMS, PARAMS_PROBLEMS, QUERY_PROBLEMS, { 404: ['NOT_FOUND'] }),
    },
  });
}
