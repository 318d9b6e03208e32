import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { jsonResponse, OPERATOR_PROBLEMS, operatorSecurity, problemResponses, QUERY_PROBLEMS } from '../../shared/openapi-components.ts';
import { auditPage, auditQuery } from './schemas.ts';

/** SPEC §3/§8 audit trail, as routes.ts serves it. */
export function registerAuditPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/audit',
    operationId: 'listAudit',
    tags: ['Audit'],
    summary: 'List audit entries',
    description: "The operator's audit trail, newest first, keyset-paginated. `from` is inclusive, `to` exclusive.",
    security: operatorSecurity,
    request: { query: auditQuery },
    responses: {
      200: jsonResponse(auditPage, 'a page of audit entries'),
      ...problemResponses(OPERATOR_PROBLEMS, QUERY_PROBLEMS),
    },
  });
}
