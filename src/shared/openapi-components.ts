import type { OpenAPIRegistry, ResponseConfig, ZodRequestBody } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/**
 * The pieces every module's OpenAPI paths share: the security schemes (SPEC §3 auth), the
 * problem+json body and the error answers common to a kind of endpoint.
 */

const OPERATOR_KEY = 'operatorKey';
const ADMIN_BEARER = 'adminBearer';

type SecurityRequirements = Record<string, string[]>[];

/** Operator endpoints: `X-Operator-Key` (src/http/auth.ts `operatorAuth`). */
export const operatorSecurity: SecurityRequirements = [{ [OPERATOR_KEY]: [] }];

/** `/admin/*`: `Authorization: Bearer $ADMIN_TOKEN` (`adminAuth`); Basic auth is for Bull Board's pages only, which are not documented. */
export const adminSecurity: SecurityRequirements = [{ [ADMIN_BEARER]: [] }];

/** The components every module's paths refer to: the problem+json body and the security schemes. */
export function registerSharedComponents(registry: OpenAPIRegistry): void {
  // Registered whole, as JSON Schema: each error answer refers to it and narrows its `code`,
  // which zod-to-openapi cannot write as a reference with a sibling keyword.
  const { $schema: _dialect, ...problemSchema } = z.toJSONSchema(problem, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' });
  registry.registerComponent('schemas', 'Problem', problemSchema as Parameters<typeof registry.registerComponent<'schemas'>>[2]);
  registry.registerComponent('securitySchemes', OPERATOR_KEY, {
    type: 'apiKey',
    in: 'header',
    name: 'X-Operator-Key',
    description: "The operator's API key (created by POST /admin/operators, shown once). A missing or wrong key is 401.",
  });
  registry.registerComponent('securitySchemes', ADMIN_BEARER, {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN of the deployment. The admin API is served on the admin listener (ADMIN_PORT), not the public port.',
  });
}

const PROBLEM_REF = '#/components/schemas/Problem';

/** RFC 9457 body of every error answer, as src/http/problem.ts writes it (SPEC §3 errors). */
const problem = z
  .object({
    type: z.string().meta({ description: 'https://rgs.example/problems/<code in kebab-case>' }),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string().optional(),
    code: z.string().meta({ description: 'stable machine code, e.g. VALIDATION_FAILED, NOT_FOUND, RATE_LIMITED' }),
    errors: z
      .array(z.object({ path: z.string().meta({ description: 'e.g. body.amount, query.limit' }), message: z.string() }))
      .optional()
      .meta({ description: 'VALIDATION_FAILED only: every bad field' }),
    errorId: z.string().optional().meta({ description: 'INTERNAL_ERROR only: the id to find in the server log' }),
  });

/** Error answers, by status, with the codes each can carry. */
type Problems = Partial<Record<400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503, string[]>>;

/**
 * A key or token is checked (`operatorAuth`, `adminAuth`): a missing or wrong one is 401, and
 * 429 RATE_LIMITED once the client's address is over its failed-authentication budget (SPEC §11).
 */
const AUTH_PROBLEMS: Problems = { 401: ['UNAUTHORIZED'], 429: ['RATE_LIMITED'] };
/** The operator's key (`operatorAuth`). */
export const OPERATOR_KEY_PROBLEMS: Problems = AUTH_PROBLEMS;
/** Every operator endpoint but the stream: the key, and the per-operator rate limit (src/http/rate-limit.ts), whose 429 is RATE_LIMITED too. */
export const OPERATOR_PROBLEMS: Problems = AUTH_PROBLEMS;
export const ADMIN_PROBLEMS: Problems = AUTH_PROBLEMS;
/** A path with parameters: parsed with zod (`parse(..., 'params')`), or not valid percent-encoding. */
export const PARAMS_PROBLEMS: Problems = { 400: ['VALIDATION_FAILED', 'MALFORMED_PATH'] };
export const QUERY_PROBLEMS: Problems = { 400: ['VALIDATION_FAILED'] };
/** POST/PUT/PATCH, with or without a body (src/http/json-body.ts): JSON only, size-limited, strict. */
export const BODY_PROBLEMS: Problems = {
  400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
};

const retryAfter = z.object({
  'Retry-After': z.int().min(0).meta({ description: 'seconds to wait before the next request' }),
});

/** The problem+json answers of an endpoint: the union of the given sets, codes merged per status. */
export function problemResponses(...sets: Problems[]): Record<string, ResponseConfig> {
  const codes = new Map<number, Set<string>>();
  for (const set of sets) {
    for (const [status, list] of Object.entries(set)) {
      const merged = codes.get(Number(status)) ?? new Set<string>();
      for (const code of list ?? []) merged.add(code);
      codes.set(Number(status), merged);
    }
  }
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, set] of [...codes].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: [...set].join(', '),
      ...(status === 429 && { headers: retryAfter }),
      // The codes this operation can answer with this status, as an enum a validator and a
      // generated client read (the description lists them for people).
      content: { 'application/problem+json': { schema: { $ref: PROBLEM_REF, properties: { code: { type: 'string', enum: [...set] } } } } },
    };
  }
  return responses;
}

/** A JSON answer. */
export function jsonResponse(schema: z.ZodType, description: string): ResponseConfig {
  return { description, content: { 'application/json': { schema } } };
}

/**
 * The body of an operation that takes none (`emptyBody` in src/shared/schemas.ts): absent or
 * `{}`. Declared, because such a body is still read as JSON, so its 400/413/415 apply.
 */
export function noRequestBody(): ZodRequestBody {
  return {
    required: false,
    description: 'none, or an empty JSON object',
    content: { 'application/json': { schema: z.object({}).strict() } },
  };
}

/** A JSON request body (required unless said otherwise). */
export function jsonRequestBody(schema: z.ZodType, options: { required?: boolean } = {}): ZodRequestBody {
  return { required: options.required ?? true, content: { 'application/json': { schema } } };
}
