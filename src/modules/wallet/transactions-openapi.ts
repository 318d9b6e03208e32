import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { jsonResponse, OPERATOR_PROBLEMS, operatorSecurity, problemResponses, QUERY_PROBLEMS } from '../../shared/openapi-components.ts';
import { transactionsPage, transactionsQuery } from './transactions-schemas.ts';

/** SPEC §3 reconciliation, as transactions-routes.ts serves it. */
export function registerTransactionsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/transactions',
    operationId: 'listTransactions',
    tags: ['Wallet'],
    summary: 'List wallet transactions (reconciliation)',
    description: 'Every wallet call the RGS made for the operator, newest first, keyset-paginated. `from` is inclusive, `to` exclusive.',
    security: operatorSecurity,
    request: { query: transactionsQuery },
    responses: {
      200: jsonResponse(transactionsPage, 'a page of wallet transactions'),
      ...problemResponses(OPERATOR_PROBLEMS, QUERY_PROBLEMS),
    },
  });
}
