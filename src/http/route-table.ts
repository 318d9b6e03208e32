import type { Express } from 'express';

/** One endpoint the app serves: method in upper case, path in express syntax (`/bets/:id`). */
export interface RouteEntry {
  method: string;
  path: string;
}

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * Every endpoint registered on the app, read from express's own router stack, so a test
 * driven by it (OpenAPI coverage, the isolation matrix, fuzzing) sees a new route the
 * moment it is added. Routers mounted under a path (Bull Board at /admin/queues) are
 * listed with their prefix only when `includeMounted` is set: their routes are a library's.
 */
export function listRoutes(app: Express, options: { includeMounted?: boolean } = {}): RouteEntry[] {
  const routes: RouteEntry[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string') {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: `${prefix}${layer.route.path}` });
        }
        continue;
      }
      const inner = layer.handle?.stack;
      if (!inner) continue;
      const mountedAt = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (mountedAt && !options.includeMounted) continue;
      walk(inner, `${prefix}${mountedAt}`);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  const seen = new Set<string>();
  return routes.filter((route) => {
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
