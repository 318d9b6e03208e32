import { RequestContext, type MikroORM } from '@mikro-orm/core';
import type { RequestHandler } from 'express';

/**
 * One unit of work per request (STYLE.md): everything the request runs sees its own fork
 * of the EntityManager (`RequestContext.getEntityManager()`, or `orm.em`, which resolves
 * to it), never the global one (MikroORM's allowGlobalContext stays false).
 */
export function requestContext(orm: MikroORM): RequestHandler {
  return (_req, _res, next) => RequestContext.create(orm.em, next);
}
