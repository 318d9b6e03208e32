import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Express, Request } from 'express';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** This request's unit of work: its own fork of the EntityManager, made on first use. */
      readonly em: EntityManager;
    }
  }
}

const FORK = Symbol('em fork');

/**
 * One unit of work per request (STYLE.md): `req.em` is a fork of `orm`'s EntityManager,
 * made the first time the request asks for it, so a request that uses no entity (POST
 * /bets) pays nothing. Entity code takes the fork it is given; the global EntityManager
 * refuses work (MikroORM's allowGlobalContext stays false).
 *
 * Not MikroORM's RequestContext middleware: on Node 20 it runs every request inside an
 * AsyncLocalStorage, and once one is in use every `await` of the process pays the async
 * hooks' cost (about 3×, measured: +24 % node CPU per bet at 64 clients,
 * docs/performance.md "One pool, MikroORM's").
 */
export function unitOfWorkPerRequest(app: Express, orm: MikroORM): void {
  // On the app's request prototype: no work per request until `em` is read.
  Object.defineProperty(app.request, 'em', {
    configurable: true,
    get(this: Request & { [FORK]?: EntityManager }) {
      return (this[FORK] ??= orm.em.fork());
    },
  });
}
