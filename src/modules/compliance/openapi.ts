import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  BODY_PROBLEMS,
  jsonRequestBody,
  jsonResponse,
  OPERATOR_PROBLEMS,
  operatorSecurity,
  problemResponses,
} from '../../shared/openapi-components.ts';
import { limitsBody, limitsView } from './schemas.ts';

/** SPEC §3/§8 the operator's own limits, as routes.ts serves them. */
export function registerLimitsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/limits',
    operationId: 'getLimits',
    tags: ['Limits'],
    summary: "Get the operator's limits",
    security: operatorSecurity,
    responses: {
      200: jsonResponse(limitsView, 'the limits in force'),
      ...problemResponses(OPERATOR_PROBLEMS),
    },
  });

  registry.registerPath({
    method: 'put',
    path: '/limits',
    operationId: 'replaceLimits',
    tags: ['Limits'],
    summary: "Replace the operator's limits",
    description:
      'Replaces the limits wholesale: an absent field is no limit. Amounts are integer minor units. ' +
      'In force on every node from the next request after the 2xx.',
    security: operatorSecurity,
    request: { body: jsonRequestBody(limitsBody) },
    responses: {
      200: jsonResponse(limitsView, 'the new limits'),
      ...problemResponses(OPERATOR_PROBLEMS, BODY_PROBLEMS),
    },
  });
}
