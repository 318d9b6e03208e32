import express from 'express';
import { pino } from 'pino';
import { createAdminApp, createApp } from '../../src/app.ts';
import { envSchema } from '../../src/config/env.ts';
import { listRoutes, type RouteEntry } from '../../src/http/route-table.ts';
import type { Services } from '../../src/services.ts';

export type { RouteEntry };

/** One endpoint, and the listener that serves it: the public port or the admin port (SPEC §2). */
export interface AppRoute extends RouteEntry {
  listener: 'public' | 'admin';
}

/**
 * Stands in for every service while the app is only being assembled: route factories keep
 * references to the services they are given and use them per request, so any property or
 * call answers with the same inert value and no connection is ever opened.
 */
function inert(): unknown {
  const proxy: unknown = new Proxy(function inertService() {}, {
    get: (_target, property) => (property === 'then' ? undefined : proxy),
    apply: () => proxy,
    construct: () => proxy as object,
  });
  return proxy;
}

/**
 * Every endpoint the product serves, read from the very apps `src/main.ts` builds (the
 * same `createApp` and `createAdminApp`), so tests driven by it — fuzzing, the isolation
 * matrix — cover a new route the moment it is registered. Bull Board is a library's
 * router mounted at /admin/queues: it is listed as that one path.
 */
export function appRoutes(): AppRoute[] {
  const deps = { env: envSchema.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }), services: inert() as Services };
  const publicApp = createApp({ ...deps, isShuttingDown: () => false });
  const adminApp = createAdminApp({ ...deps, queueBoard: { router: express.Router() } });
  return [
    ...listRoutes(publicApp).map((route) => ({ ...route, listener: 'public' as const })),
    ...listRoutes(adminApp).map((route) => ({ ...route, listener: 'admin' as const })),
    { method: 'GET', path: '/admin/queues', listener: 'admin' },
  ];
}
