import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { httpRequestsTotal } from '../shared/metrics.ts';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route pattern, never the raw path, so metric labels stay bounded. */
function routeLabel(req: Request): string {
  return req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
}

/** Request ids (echoed as X-Request-Id), JSON request logs and the request counter. */
export function observeRequests(logger: Logger): RequestHandler[] {
  const logRequests = pinoHttp({
    logger,
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
    },
  });
  const countRequests: RequestHandler = (req, res, next) => {
    res.on('finish', () => httpRequestsTotal.inc({ method: req.method, route: routeLabel(req), status: res.statusCode }));
    next();
  };
  return [logRequests, countRequests];
}
