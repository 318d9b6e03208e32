import type { Request, RequestHandler, Response } from 'express';
import { secretsEqual } from '../modules/operators/api-keys.ts';
import type { OperatorsService } from '../modules/operators/service.ts';
import { rateLimitedTotal } from '../shared/metrics.ts';
import type { AuthFailures } from './auth-failures.ts';
import { DomainError, unauthorized } from '../shared/errors.ts';

const MAX_KEY_LENGTH = 256;

/** The client's address (behind a trusted proxy, the one it forwarded: see `trust proxy` in src/app.ts). */
const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * What a failed authentication gets: 401, or 429 RATE_LIMITED with Retry-After once the
 * client's address is over its budget of failures (SPEC §11). `waitMs` is what this node
 * already knows; otherwise this failure is counted.
 */
async function refusal(res: Response, failures: AuthFailures, address: string, waitMs: number, detail: string): Promise<DomainError> {
  const wait = waitMs > 0 ? waitMs : await failures.record(address);
  if (wait === 0) return unauthorized(detail);
  rateLimitedTotal.inc();
  const retryAfterSeconds = Math.max(1, Math.ceil(wait / 1000));
  res.setHeader('Retry-After', String(retryAfterSeconds));
  return new DomainError(429, 'RATE_LIMITED', 'Too many requests', `too many failed authentications from this address; retry in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
  });
}

/**
 * SPEC §3: `X-Operator-Key`; a missing or wrong key is 401 UNAUTHORIZED (429 once the
 * address is over its failures, SPEC §11). Mounted before the body is read: a request
 * with a bad key is refused whatever it carries.
 */
export function operatorAuth(operators: OperatorsService, failures: AuthFailures): RequestHandler {
  return async (req, res, next) => {
    const address = clientAddress(req);
    const waitMs = failures.waitMs(address);
    const apiKey = req.get('x-operator-key');
    if (apiKey && apiKey.length <= MAX_KEY_LENGTH) {
      // An address over its budget is not worth a database lookup: only keys this node
      // holds in its cache still pass (an operator's own traffic keeps it warm).
      const operator = waitMs > 0 ? operators.authenticateCached(apiKey) : await operators.authenticate(apiKey);
      if (operator) {
        req.operator = operator;
        next();
        return;
      }
    }
    throw await refusal(res, failures, address, waitMs, 'missing or invalid X-Operator-Key');
  };
}

/** The token of `Authorization: Bearer <token>`. */
function bearerToken(header: string): string | undefined {
  return /^Bearer (.+)$/.exec(header)?.[1];
}

/** The password of `Authorization: Basic base64(user:password)`, what a browser sends. */
function basicPassword(header: string): string | undefined {
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (!basic?.[1]) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

/**
 * SPEC §2/§11, on the admin listener only. The admin JSON API takes
 * `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time; with `browser`, Basic
 * auth with the token as password is accepted too and asked for, so a browser can open
 * Bull Board's pages (and only those: a browser resends Basic credentials on its own,
 * which a JSON API must not rely on).
 */
export function adminAuth(adminToken: string, failures: AuthFailures, options: { browser: boolean }): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const token = bearerToken(header) ?? (options.browser ? basicPassword(header) : undefined);
    if (token && secretsEqual(token, adminToken)) {
      next();
      return;
    }
    const address = clientAddress(req);
    const error = await refusal(res, failures, address, failures.waitMs(address), 'missing or invalid admin token');
    if (error.status === 401) res.setHeader('WWW-Authenticate', options.browser ? 'Basic realm="rgs-admin", charset="UTF-8"' : 'Bearer realm="rgs-admin"');
    throw error;
  };
}
