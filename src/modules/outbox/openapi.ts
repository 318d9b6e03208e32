import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  BODY_PROBLEMS,
  jsonResponse,
  noRequestBody,
  OPERATOR_PROBLEMS,
  operatorSecurity,
  PARAMS_PROBLEMS,
  problemResponses,
  QUERY_PROBLEMS,
} from '../../shared/openapi-components.ts';
import { idParams } from '../../shared/schemas.ts';
import { listOutboxQuery, outboxItem, outboxPage } from './schemas.ts';

/** SPEC §3 deferred credits, as routes.ts serves them. */
export function registerOutboxPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/outbox',
    operationId: 'listOutbox',
    tags: ['Outbox'],
    summary: 'List pending deferred credits',
    description:
      'Won bets whose credit is still owed, newest first: being retried (credit_pending) or parked after the wallet refused it (credit_parked, retried only by POST /outbox/{id}/retry). With counts of pending and parked bets (parked rollbacks included).',
    security: operatorSecurity,
    request: { query: listOutboxQuery },
    responses: {
      200: jsonResponse(outboxPage, 'a page of deferred credits'),
      ...problemResponses(OPERATOR_PROBLEMS, QUERY_PROBLEMS),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/outbox/{id}/retry',
    operationId: 'retryOutboxItem',
    tags: ['Outbox'],
    summary: 'Retry a deferred credit now',
    description: "Runs the bet's next credit (a credit_pending or credit_parked bet) or a parked bet's rollback now instead of at its backoff time. Takes no body.",
    security: operatorSecurity,
    request: { params: idParams, body: noRequestBody() },
    responses: {
      202: jsonResponse(outboxItem, 'the attempt is queued'),
      ...problemResponses(OPERATOR_PROBLEMS, PARAMS_PROBLEMS, BODY_PROBLEMS, { 404: ['NOT_FOUND'], 409: ['NOT_RETRYABLE'] }),
    },
  });
}
