import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { httpRequestsTotal } from '../shared/metrics.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `observeRequests`: this request's id, echoed as X-Request-Id and logged as `req.id`. */
    id?: string;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route pattern, never the raw path, so metric labels stay bounded. */
function routeLabel(req: Request): string {
  return req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
}

/** 5xx are errors, 4xx are worth reading, the rest is only for debugging. */
function levelOf(statusCode: number): 'error' | 'info' | 'debug' {
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'info' : 'debug';
}

/** What a request line says about its request: never headers or the body (SPEC §11). */
export function requestFields(req: Request): { id: string | undefined; method: string; url: string } {
  return { id: req.id, method: req.method, url: req.originalUrl };
}

/**
 * Request ids (echoed as X-Request-Id), one JSON log line per request and the request
 * counter, in one middleware with one listener. Not pino-http: its per-request child
 * logger and listeners were paid on every request although at the default level no
 * request line is written; with the routing in front of POST /bets they cost about a
 * tenth of a node's CPU per bet (docs/performance.md, "The HTTP layer in front of `POST /bets`").
 */
export function observeRequests(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const startedAt = performance.now();
    res.once('close', () => {
      const statusCode = res.statusCode;
      const finished = res.writableFinished;
      if (finished) httpRequestsTotal.inc({ method: req.method, route: routeLabel(req), status: statusCode });
      // A response closed before it was finished: the client went away, or the node cut it off.
      const level = finished ? levelOf(statusCode) : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        { req: requestFields(req), res: { statusCode }, responseTime: Math.round(performance.now() - startedAt) },
        finished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
