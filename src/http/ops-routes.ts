import { Router } from 'express';
import type { RedisClient } from '../shared/redis.ts';
import { pingDatabase, type Db } from '../shared/db.ts';
import { registry } from '../shared/metrics.ts';

const READY_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

/** SPEC §3 ops endpoints for load balancers, on the public port: liveness, readiness (Postgres and Redis reachable). */
export function opsRoutes(deps: { db: Db; redis: RedisClient; nodeId: string; isShuttingDown: () => boolean }): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', nodeId: deps.nodeId });
  });

  router.get('/ready', async (_req, res) => {
    const check = async (probe: () => Promise<unknown>) =>
      withTimeout(probe(), READY_TIMEOUT_MS).then(
        () => 'ok' as const,
        () => 'down' as const,
      );
    const [postgres, redis] = await Promise.all([check(() => pingDatabase(deps.db)), check(() => deps.redis.ping())]);
    const ready = postgres === 'ok' && redis === 'ok' && !deps.isShuttingDown();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', nodeId: deps.nodeId, postgres, redis });
  });

  return router;
}

/** SPEC §9 `GET /metrics` (Prometheus text), on the admin listener only (SPEC §2). */
export function metricsRoutes(): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
