import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Env } from './config/env.ts';
import type { Db } from './shared/db.ts';
import { adminAuth, operatorAuth } from './http/auth.ts';
import { errorHandler, notFoundHandler } from './http/error-handler.ts';
import { jsonBody } from './http/json-body.ts';
import { observeRequests } from './http/observe.ts';
import { opsRoutes } from './http/ops-routes.ts';
import type { OperatorsService } from './modules/operators/service.ts';
import { adminOperatorsRoutes } from './modules/operators/routes.ts';
import { createSessionsService } from './modules/sessions/service.ts';
import { sessionsRoutes } from './modules/sessions/routes.ts';

export interface AppDeps {
  env: Env;
  db: Db;
  redis: Redis;
  logger: Logger;
  operators: OperatorsService;
  isShuttingDown: () => boolean;
}

/** The express app: middleware order, routers, and the one error handler. */
export function createApp(deps: AppDeps): Express {
  const { env, db } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', ['loopback', 'linklocal', 'uniquelocal']);

  app.use(observeRequests(deps.logger));
  app.use(opsRoutes({ db, redis: deps.redis, nodeId: env.NODE_ID, isShuttingDown: deps.isShuttingDown }));
  app.use(jsonBody(env.BODY_LIMIT_BYTES));

  app.use('/admin', adminAuth(env.ADMIN_TOKEN));
  app.use(adminOperatorsRoutes(deps.operators));

  const operatorRoutes = express.Router();
  operatorRoutes.use(operatorAuth(deps.operators));
  operatorRoutes.use(sessionsRoutes(createSessionsService({ db, sessionTtlSeconds: env.SESSION_TTL_SECONDS })));
  app.use(operatorRoutes);

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
