import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  ADMIN_PROBLEMS,
  adminSecurity,
  BODY_PROBLEMS,
  jsonRequestBody,
  jsonResponse,
  noRequestBody,
  PARAMS_PROBLEMS,
  problemResponses,
} from '../../shared/openapi-components.ts';
import { idParams } from '../../shared/schemas.ts';
import {
  createdOperator,
  createOperatorBody,
  operatorsPage,
  operatorView,
  patchOperatorBody,
  rotatedApiKey,
} from './schemas.ts';

/** SPEC §3 admin API, as routes.ts serves it (behind `adminAuth`). */
export function registerAdminOperatorsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/admin/operators',
    operationId: 'createOperator',
    tags: ['Admin'],
    summary: 'Create an operator',
    description:
      'Returns its API key, this once (only a hash is stored). `walletUrl` and `walletSecret` come together (each operator signs its wallet calls with its own secret): one without the other is 400 VALIDATION_FAILED.',
    security: adminSecurity,
    request: { body: jsonRequestBody(createOperatorBody) },
    responses: {
      201: jsonResponse(createdOperator, 'the operator and its API key'),
      ...problemResponses(ADMIN_PROBLEMS, BODY_PROBLEMS, { 409: ['OPERATOR_EXISTS'] }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/admin/operators',
    operationId: 'listOperators',
    tags: ['Admin'],
    summary: 'List operators',
    security: adminSecurity,
    responses: {
      200: jsonResponse(operatorsPage, 'every operator (one page)'),
      ...problemResponses(ADMIN_PROBLEMS),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/admin/operators/{id}',
    operationId: 'getOperator',
    tags: ['Admin'],
    summary: 'Get an operator',
    security: adminSecurity,
    request: { params: idParams },
    responses: {
      200: jsonResponse(operatorView, 'the operator (whether secrets are set, never their values)'),
      ...problemResponses(ADMIN_PROBLEMS, PARAMS_PROBLEMS, { 404: ['NOT_FOUND'] }),
    },
  });

  registry.registerPath({
    method: 'patch',
    path: '/admin/operators/{id}',
    operationId: 'updateOperator',
    tags: ['Admin'],
    summary: 'Change an operator',
    description:
      'Sets the given fields; null clears a wallet or webhook setting or the rate limit. The wallet settings the change would leave must pair `walletUrl` with `walletSecret`, or have neither (400 VALIDATION_FAILED otherwise). A change is judged on the operator as read and written only if no other change came in between; otherwise it is judged again on a fresh read, once, and then refused with 409 OPERATOR_CHANGED (read the operator and send it again).',
    security: adminSecurity,
    request: { params: idParams, body: jsonRequestBody(patchOperatorBody) },
    responses: {
      200: jsonResponse(operatorView, 'the operator'),
      ...problemResponses(ADMIN_PROBLEMS, PARAMS_PROBLEMS, BODY_PROBLEMS, { 404: ['NOT_FOUND'], 409: ['OPERATOR_EXISTS', 'OPERATOR_CHANGED'] }),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/admin/operators/{id}/keys/rotate',
    operationId: 'rotateOperatorKey',
    tags: ['Admin'],
    summary: "Rotate an operator's API key",
    description: 'The old key stops working on every node. Takes no body.',
    security: adminSecurity,
    request: { params: idParams, body: noRequestBody() },
    responses: {
      200: jsonResponse(rotatedApiKey, 'the new key, this once'),
      ...problemResponses(ADMIN_PROBLEMS, PARAMS_PROBLEMS, BODY_PROBLEMS, { 404: ['NOT_FOUND'] }),
    },
  });
}
