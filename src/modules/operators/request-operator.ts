import { unauthorized } from '../../shared/errors.ts';
import type { OperatorContext } from './service.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `operatorAuth` (src/http/auth.ts): the operator every lookup of this request is scoped to. */
    operator?: OperatorContext;
  }
}

/**
 * The operator of a request that passed `operatorAuth`. Routes read it here rather than
 * from src/http, so modules never import the HTTP layer (the boundary is an eslint rule).
 */
export function operatorOf(req: { operator?: OperatorContext }): OperatorContext {
  if (!req.operator) throw unauthorized();
  return req.operator;
}
