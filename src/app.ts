import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Env } from './config/env.ts';
import type { Services } from './services.ts';
import { adminAuth, operatorAuth } from './http/auth.ts';
import { errorHandler, notFoundHandler } from './http/error-handler.ts';
import { jsonBody } from './http/json-body.ts';
import { observeRequests } from './http/observe.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { apiDocsRoutes } from './http/openapi/routes.ts';
import { rateLimit } from './http/rate-limit.ts';
import { adminOperatorsRoutes } from './modules/operators/routes.ts';
import { sessionsRoutes } from './modules/sessions/routes.ts';
import { fairnessPublicRoutes, fairnessRoutes } from './modules/fairness/routes.ts';
import { roundsRoutes } from './modules/rounds/routes.ts';
import { transactionsRoutes } from './modules/wallet/transactions-routes.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { limitsRoutes } from './modules/compliance/routes.ts';
import { betsRoutes, placeBetHandler } from './modules/bets/routes.ts';
import { outboxRoutes } from './modules/outbox/routes.ts';
import { webhooksRoutes } from './modules/webhooks/routes.ts';
import { streamRoutes } from './modules/stream/routes.ts';

export interface AppDeps {
  env: Env;
  logger: Logger;
  services: Services;
  queueBoard: { router: express.Router };
  isShuttingDown: () => boolean;
}

/** The express app: middleware order, routers, and the one error handler. */
export function createApp(deps: AppDeps): Express {
  const { env } = deps;
  const { db, redis, operators } = deps.services;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', ['loopback', 'linklocal', 'uniquelocal']);

  const body = jsonBody(env.BODY_LIMIT_BYTES);
  const authenticateOperator = operatorAuth(operators);
  const limitRate = rateLimit({ redis, defaultPerSecond: env.RATE_LIMIT_PER_SECOND, logger: deps.logger });

  app.use(observeRequests(deps.logger));
  // POST /bets is nearly all of the traffic. It is matched first, with exactly the middleware
  // the operator routes below would give it, instead of walking every router in between
  // (express 5 enters each one); see docs/performance.md, "Session of 2026-11-26 (late morning)".
  app.post('/bets', body, authenticateOperator, limitRate, placeBetHandler(deps.services.bets));
  app.use(opsRoutes({ db, redis, nodeId: env.NODE_ID, isShuttingDown: deps.isShuttingDown }));
  app.use(body);
  app.use(fairnessPublicRoutes());
  app.use(apiDocsRoutes());

  app.use('/admin', adminAuth(env.ADMIN_TOKEN));
  app.use('/admin/queues', deps.queueBoard.router);
  app.use(adminOperatorsRoutes(operators));

  const operatorRoutes = express.Router();
  operatorRoutes.use(authenticateOperator);
  // SPEC §7: GET /stream is never answered 429 for the request rate (an EventSource gives up after a non-200),
  // so it comes before the limiter; only its connection caps answer 429 (modules/stream/hub.ts).
  operatorRoutes.use(streamRoutes(deps.services.stream));
  operatorRoutes.use(limitRate);
  // No two of these routers share a path.
  operatorRoutes.use(betsRoutes(deps.services.bets));
  operatorRoutes.use(sessionsRoutes(deps.services.sessions));
  operatorRoutes.use(fairnessRoutes(db, deps.services.keyring));
  operatorRoutes.use(roundsRoutes(db));
  operatorRoutes.use(transactionsRoutes(db));
  operatorRoutes.use(auditRoutes(db));
  operatorRoutes.use(limitsRoutes(db));
  operatorRoutes.use(outboxRoutes(deps.services.outbox));
  operatorRoutes.use(webhooksRoutes(deps.services.webhooks));
  app.use(operatorRoutes);

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
