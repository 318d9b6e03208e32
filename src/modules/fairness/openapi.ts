import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
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
import { sessionTokenParams } from '../sessions/schemas.ts';
import { fairnessVerifyQuery, rotateSeedsFields, seedRotation, verifiedOutcome } from './schemas.ts';

/** SPEC §3/§5 provable fairness, as routes.ts serves it. */
export function registerFairnessPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/fairness/verify',
    operationId: 'verifyOutcome',
    tags: ['Fairness'],
    summary: 'Recompute an outcome (public)',
    description: 'Recomputes what the bytes decide in a game (dice: the roll; lucky-dice: the face) from a revealed server seed, the client seed and the nonce. Needs no key.',
    request: { query: fairnessVerifyQuery },
    responses: {
      200: jsonResponse(verifiedOutcome, 'the recomputed outcome'),
      ...problemResponses(QUERY_PROBLEMS),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/sessions/{token}/seeds/rotate',
    operationId: 'rotateSeeds',
    tags: ['Fairness'],
    summary: "Rotate the player's seeds",
    description:
      "Reveals the session player's server seed and starts a new pair at nonce 0. Refused (409) while one of " +
      "the player's bets is not settled, so a seed is never revealed mid-round. The body is optional.",
    security: operatorSecurity,
    request: { params: sessionTokenParams, body: jsonRequestBody(rotateSeedsFields, { required: false }) },
    responses: {
      200: jsonResponse(seedRotation, 'the revealed pair and the new commitment'),
      ...problemResponses(OPERATOR_PROBLEMS, PARAMS_PROBLEMS, BODY_PROBLEMS, {
        403: ['SESSION_REVOKED', 'SESSION_EXPIRED'],
        404: ['NOT_FOUND'],
        409: ['BETS_IN_PROGRESS'],
      }),
    },
  });
}
