import type { RequestHandler } from 'express';
import { secretsEqual } from '../modules/operators/api-keys.ts';
import type { OperatorContext, OperatorsService } from '../modules/operators/service.ts';
import { unauthorized } from './errors.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `operatorAuth`: the operator every lookup of this request is scoped to. */
    operator?: OperatorContext;
  }
}

const MAX_KEY_LENGTH = 256;

/** SPEC §3: `X-Operator-Key`; a missing or wrong key is 401 UNAUTHORIZED. */
export function operatorAuth(operators: OperatorsService): RequestHandler {
  return async (req, _res, next) => {
    const apiKey = req.get('x-operator-key');
    if (!apiKey || apiKey.length > MAX_KEY_LENGTH) throw unauthorized('missing or invalid X-Operator-Key');
    const operator = await operators.authenticate(apiKey);
    if (!operator) throw unauthorized('missing or invalid X-Operator-Key');
    req.operator = operator;
    next();
  };
}

/** `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time. */
export function adminAuth(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match?.[1] || !secretsEqual(match[1], adminToken)) throw unauthorized('missing or invalid admin token');
    next();
  };
}

/** The operator of a request that passed `operatorAuth`. */
export function operatorOf(req: { operator?: OperatorContext }): OperatorContext {
  if (!req.operator) throw unauthorized();
  return req.operator;
}
