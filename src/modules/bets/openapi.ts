import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  BODY_PROBLEMS,
  jsonRequestBody,
  jsonResponse,
  OPERATOR_PROBLEMS,
  operatorSecurity,
  PARAMS_PROBLEMS,
  problemResponses,
  QUERY_PROBLEMS,
} from '../../shared/openapi-components.ts';
import { idParams } from '../../shared/schemas.ts';
import { betsPage, betView, idempotencyKeyRequired, listBetsQuery, placeBetBody } from './schemas.ts';

/** SPEC §3/§4 bets, as routes.ts serves them. */
export function registerBetsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/bets',
    operationId: 'placeBet',
    tags: ['Bets'],
    summary: 'Place a bet',
    description:
      'Places a bet on a session, on any game the operator has enabled (GET /games); a disabled game is 403 GAME_DISABLED. Amounts are integer minor units. The Idempotency-Key (per operator) makes ' +
      'a retry with the same body return the first answer, from any node; the same key with another body is 422.',
    security: operatorSecurity,
    request: { headers: idempotencyKeyRequired, body: jsonRequestBody(placeBetBody) },
    responses: {
      201: jsonResponse(betView, "the bet, once the player's money is decided (a final state, credit_pending or credit_parked)"),
      202: {
        ...jsonResponse(betView, 'the bet, still in progress (the wallet is slow): poll Location'),
        headers: z.object({ Location: z.string().meta({ description: '/bets/{id}' }) }),
      },
      ...problemResponses(OPERATOR_PROBLEMS, BODY_PROBLEMS, {
        400: ['PAYOUT_TOO_LARGE'],
        403: ['SESSION_REVOKED', 'SESSION_EXPIRED', 'JURISDICTION_BLOCKED', 'MAX_BET_EXCEEDED', 'DAILY_LOSS_LIMIT', 'DAILY_WIN_LIMIT', 'GAME_DISABLED'],
        404: ['NOT_FOUND'],
        409: ['REQUEST_IN_PROGRESS'],
        422: ['IDEMPOTENCY_KEY_REUSED'],
        503: ['SEED_ROTATING'],
      }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/bets/{id}',
    operationId: 'getBet',
    tags: ['Bets'],
    summary: 'Get a bet',
    description: 'The bet with its state history. Its outcome is null and its payout 0 until the debit is applied.',
    security: operatorSecurity,
    request: { params: idParams },
    responses: {
      200: jsonResponse(betView, 'the bet'),
      ...problemResponses(OPERATOR_PROBLEMS, PARAMS_PROBLEMS, { 404: ['NOT_FOUND'] }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/bets',
    operationId: 'listBets',
    tags: ['Bets'],
    summary: 'List bets',
    description: "The operator's bets, newest first, keyset-paginated.",
    security: operatorSecurity,
    request: { query: listBetsQuery },
    responses: {
      200: jsonResponse(betsPage, 'a page of bets'),
      ...problemResponses(OPERATOR_PROBLEMS, QUERY_PROBLEMS),
    },
  });
}
