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
import { deliveriesPage, deliveryView, listDeliveriesQuery } from './schemas.ts';

/** SPEC §3/§7 webhook deliveries, as routes.ts serves them. */
export function registerWebhooksPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/webhooks/deliveries',
    operationId: 'listWebhookDeliveries',
    tags: ['Webhooks'],
    summary: 'List webhook deliveries',
    description: "The operator's webhook deliveries, newest first, keyset-paginated.",
    security: operatorSecurity,
    request: { query: listDeliveriesQuery },
    responses: {
      200: jsonResponse(deliveriesPage, 'a page of deliveries'),
      ...problemResponses(OPERATOR_PROBLEMS, QUERY_PROBLEMS),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/webhooks/deliveries/{id}/redeliver',
    operationId: 'redeliverWebhook',
    tags: ['Webhooks'],
    summary: 'Redeliver a webhook',
    description: 'Starts a fresh series of attempts for the delivery, now (a delivered one too). Takes no body.',
    security: operatorSecurity,
    request: { params: idParams, body: noRequestBody() },
    responses: {
      202: jsonResponse(deliveryView, 'the delivery, pending again'),
      ...problemResponses(OPERATOR_PROBLEMS, PARAMS_PROBLEMS, BODY_PROBLEMS, { 404: ['NOT_FOUND'] }),
    },
  });
}
