import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  BODY_PROBLEMS,
  jsonRequestBody,
  jsonResponse,
  noRequestBody,
  OPERATOR_PROBLEMS,
  operatorSecurity,
  PARAMS_PROBLEMS,
  problemResponses,
} from '../../shared/openapi-components.ts';
import { idempotencyKeyHeader, launchBody, sessionTokenParams, sessionView } from './schemas.ts';

/** SPEC §3 sessions, as routes.ts serves them. */
export function registerSessionsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/sessions/launch',
    operationId: 'launchSession',
    tags: ['Sessions'],
    summary: 'Launch a game session',
    description:
      "Creates the player on first sight (playerId is the operator's own id) and returns a session token with " +
      "the player's current seed commitment. An Idempotency-Key makes a retry return the first session.",
    security: operatorSecurity,
    request: { headers: idempotencyKeyHeader, body: jsonRequestBody(launchBody) },
    responses: {
      201: jsonResponse(sessionView, 'the new session (or the first one, for a repeated Idempotency-Key)'),
      ...problemResponses(OPERATOR_PROBLEMS, BODY_PROBLEMS, {
        403: ['JURISDICTION_BLOCKED'],
        422: ['IDEMPOTENCY_KEY_REUSED'],
      }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/sessions/{token}',
    operationId: 'verifySession',
    tags: ['Sessions'],
    summary: 'Verify a session',
    description: 'The session and whether it is active (`status`: active, revoked or expired).',
    security: operatorSecurity,
    request: { params: sessionTokenParams },
    responses: {
      200: jsonResponse(sessionView, 'the session'),
      ...problemResponses(OPERATOR_PROBLEMS, PARAMS_PROBLEMS, { 404: ['NOT_FOUND'] }),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/sessions/{token}/revoke',
    operationId: 'revokeSession',
    tags: ['Sessions'],
    summary: 'Revoke a session',
    description: 'Ends the session; later bets on it are 403 SESSION_REVOKED. Takes no body. Revoking twice is harmless.',
    security: operatorSecurity,
    request: { params: sessionTokenParams, body: noRequestBody() },
    responses: {
      200: jsonResponse(sessionView, 'the revoked session'),
      ...problemResponses(OPERATOR_PROBLEMS, PARAMS_PROBLEMS, BODY_PROBLEMS, { 404: ['NOT_FOUND'] }),
    },
  });
}
