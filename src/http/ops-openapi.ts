import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { jsonResponse } from '../shared/openapi-components.ts';

const health = z.object({ status: z.literal('ok'), nodeId: z.string() }).meta({ id: 'Health' });

const readiness = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    nodeId: z.string(),
    postgres: z.enum(['ok', 'down']),
    redis: z.enum(['ok', 'down']),
  })
  .meta({ id: 'Readiness' });

/**
 * SPEC §3 ops endpoints, as ops-routes.ts serves them: public, and with no client errors
 * to document (they read no input).
 */
export function registerOpsPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/health',
    operationId: 'health',
    tags: ['Ops'],
    summary: 'Liveness',
    responses: { 200: jsonResponse(health, 'the process is up') },
  });

  registry.registerPath({
    method: 'get',
    path: '/ready',
    operationId: 'ready',
    tags: ['Ops'],
    summary: 'Readiness',
    description: 'Ready when Postgres and Redis answer and the node is not shutting down.',
    responses: {
      200: jsonResponse(readiness, 'ready to serve'),
      503: jsonResponse(readiness, 'not ready: a dependency is down or the node is shutting down'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags: ['Ops'],
    summary: 'Prometheus metrics',
    description: 'Served on the admin listener (ADMIN_PORT, ADMIN_HOST), not on the public port.',
    responses: {
      200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } },
    },
  });
}
