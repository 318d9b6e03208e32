/**
 * The typed errors services throw. The one error handler (src/http/error-handler.ts)
 * turns each into RFC 9457 problem+json with its stable `code` (SPEC §3).
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export interface FieldProblem {
  path: string;
  message: string;
}

export class ValidationError extends DomainError {
  constructor(readonly fields: FieldProblem[]) {
    super(400, 'VALIDATION_FAILED', 'Validation failed', fields.map((f) => `${f.path || '(root)'}: ${f.message}`).join('; '), {
      errors: fields,
    });
  }
}

export const notFound = (what: string) => new DomainError(404, 'NOT_FOUND', 'Not found', `${what} not found`);
export const unauthorized = (detail = 'missing or invalid credentials') =>
  new DomainError(401, 'UNAUTHORIZED', 'Unauthorized', detail);
export const conflict = (code: string, detail: string) => new DomainError(409, code, 'Conflict', detail);
export const forbidden = (code: string, detail: string) => new DomainError(403, code, 'Forbidden', detail);
