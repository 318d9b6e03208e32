import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Env } from './config/env.ts';
import type { Services } from './services.ts';
import { adminAuth, operatorAuth } from './http/auth.ts';
import { createAuthFailures } from './http/auth-failures.ts';
import { errorHandler, notFoundHandler } from './http/error-handler.ts';
import { jsonBody } from './http/json-body.ts';
import { observeRequests } from './http/observe.ts';
import { metricsRoutes, opsRoutes } from './http/ops-routes.ts';
import { apiDocsRoutes } from './http/openapi/routes.ts';
import { verifyPageRoutes } from './http/verify-page/routes.ts';
import { rateLimit } from './http/rate-limit.ts';
import { unitOfWorkPerRequest } from './http/unit-of-work.ts';
import { adminOperatorsRoutes } from './modules/operators/routes.ts';
import { sessionsRoutes } from './modules/sessions/routes.ts';
import { fairnessPublicRoutes, fairnessRoutes } from './modules/fairness/routes.ts';
import { roundsRoutes } from './modules/rounds/routes.ts';
import { gamesRoutes } from './modules/games/routes.ts';
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
  isShuttingDown: () => boolean;
}

export interface AdminAppDeps {
  env: Env;
  logger: Logger;
  services: Services;
  queueBoard: { router: express.Router };
}

/**
 * What both listeners share: no fingerprinting header, no ETags, the proxies whose
 * X-Forwarded-For is believed, and a unit of work (`req.em`, an EntityManager fork) per request.
 */
function baseApp(logger: Logger, services: Services): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // req.ip is the client's address behind these (nginx, `npm start`'s entry point): the
  // failed-authentication limit counts per req.ip (SPEC §11).
  app.set('trust proxy', ['loopback', 'linklocal', 'uniquelocal']);
  app.use(observeRequests(logger));
  unitOfWorkPerRequest(app, services.orm);
  return app;
}

/**
 * The public app (PORT): the operator API, fairness verification and the players' verifier
 * page, the API docs and the load balancers' probes. The admin surface does not exist here (SPEC §2): see
 * `createAdminApp`. A body is read only once its request is authenticated (SPEC §11), so a
 * request with a bad key costs a key lookup at most, whatever it carries.
 */
export function createApp(deps: AppDeps): Express {
  const { env } = deps;
  const { db, redis, operators } = deps.services;
  const app = baseApp(deps.logger, deps.services);

  const body = jsonBody(env.BODY_LIMIT_BYTES);
  const authFailures = createAuthFailures({ redis, perSecond: env.AUTH_FAILURES_PER_SECOND, logger: deps.logger });
  const authenticateOperator = operatorAuth(operators, authFailures);
  const limitRate = rateLimit({ redis, defaultPerSecond: env.RATE_LIMIT_PER_SECOND, logger: deps.logger });

  // POST /bets is nearly all of the traffic. It is matched first, with exactly the middleware
  // the operator routes below would give it, instead of walking every router in between
  // (express 5 enters each one); see docs/performance.md, "The HTTP layer in front of `POST /bets`".
  app.post('/bets', authenticateOperator, limitRate, body, placeBetHandler(deps.services.bets));
  app.use(opsRoutes({ db, redis, nodeId: env.NODE_ID, isShuttingDown: deps.isShuttingDown }));
  app.use(fairnessPublicRoutes());
  app.use(apiDocsRoutes());
  app.use(verifyPageRoutes());
  // Not here, whatever credentials come along: 404 before the operator key is asked for.
  app.use(['/admin', '/metrics'], notFoundHandler);

  const operatorRoutes = express.Router();
  operatorRoutes.use(authenticateOperator);
  // SPEC §7: GET /stream is never answered 429 for the request rate (an EventSource gives up after a non-200),
  // so it comes before the limiter; only its connection caps answer 429 (modules/stream/hub.ts).
  operatorRoutes.use(streamRoutes(deps.services.stream));
  operatorRoutes.use(limitRate);
  operatorRoutes.use(body);
  // No two of these routers share a path.
  operatorRoutes.use(gamesRoutes());
  operatorRoutes.use(betsRoutes(deps.services.bets));
  operatorRoutes.use(sessionsRoutes(deps.services.sessions));
  operatorRoutes.use(fairnessRoutes(db, deps.services.keyring));
  operatorRoutes.use(roundsRoutes());
  operatorRoutes.use(transactionsRoutes());
  operatorRoutes.use(auditRoutes());
  operatorRoutes.use(limitsRoutes());
  operatorRoutes.use(outboxRoutes(deps.services.outbox));
  operatorRoutes.use(webhooksRoutes(deps.services.webhooks));
  app.use(operatorRoutes);

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

/**
 * The admin app (ADMIN_PORT on ADMIN_HOST, SPEC §2): the admin API, Bull Board,
 * /metrics and the API docs (/docs, /openapi.json), for ops and prometheus on an internal network. The admin API takes the
 * Bearer token only; Bull Board's pages accept Basic auth too, for a browser.
 */
export function createAdminApp(deps: AdminAppDeps): Express {
  const { env } = deps;
  const app = baseApp(deps.logger, deps.services);
  const authFailures = createAuthFailures({ redis: deps.services.redis, perSecond: env.AUTH_FAILURES_PER_SECOND, logger: deps.logger });

  app.use(metricsRoutes());
  // The same docs as the public port: here "Try it out" reaches the admin API (and /metrics).
  app.use(apiDocsRoutes());
  app.use('/admin/queues', adminAuth(env.ADMIN_TOKEN, authFailures, { browser: true }), deps.queueBoard.router);
  app.use('/admin', adminAuth(env.ADMIN_TOKEN, authFailures, { browser: false }));
  app.use(jsonBody(env.BODY_LIMIT_BYTES));
  app.use(adminOperatorsRoutes(deps.services.operators));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
