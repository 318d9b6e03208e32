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

/** The token of `Bearer <token>`, or the password of `Basic base64(user:password)` (what a browser sends). */
function presentedAdminToken(header: string): string | undefined {
  const bearer = /^Bearer (.+)$/.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

/**
 * `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time. Basic auth with the
 * token as password is accepted too, so a browser can open Bull Board at /admin/queues.
 */
export function adminAuth(adminToken: string): RequestHandler {
  return (req, res, next) => {
    const token = presentedAdminToken(req.get('authorization') ?? '');
    if (!token || !secretsEqual(token, adminToken)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="rgs-admin", charset="UTF-8"');
      throw unauthorized('missing or invalid admin token');
    }
    next();
  };
}

/** The operator of a request that passed `operatorAuth`. */
export function operatorOf(req: { operator?: OperatorContext }): OperatorContext {
  if (!req.operator) throw unauthorized();
  return req.operator;
}
