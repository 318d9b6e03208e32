import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
const problem = z.object({ type: z.string(), code: z.string() }).meta({ id: 'Problem' });
const r = new OpenAPIRegistry();
r.registerPath({ method: 'get', path: '/x', responses: { 400: { description: 'd', content: { 'application/problem+json': { schema: problem.extend({ code: z.enum(['A', 'B']) }) } } } } });
console.log(JSON.stringify(new OpenApiGeneratorV31(r.definitions).generateDocument({ openapi: '3.1.0', info: { title: '', version: '' } })));
