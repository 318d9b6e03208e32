import type { RedisClient } from '../shared/redis.ts';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimitFallbacksTotal } from '../shared/metrics.ts';
import { withTimeout } from '../shared/with-timeout.ts';

// As in rate-limit.ts: a hung Redis is given this long before the node counts alone.
const REDIS_TIMEOUT_MS = 2_000;
const FALLBACK_LOG_INTERVAL_MS = 10_000;
const WINDOW_SECONDS = 1;
// Addresses this node remembers as over their budget. A flood from more addresses than
// this only makes the node ask Redis again for the oldest ones.
const MAX_BLOCKED_ADDRESSES = 100_000;

export interface AuthFailures {
  /** How long `address` must still wait, from this node's memory alone (no Redis round trip); 0 when it may try. */
  waitMs(address: string): number;
  /** Counts one failed authentication of `address`; resolves how long it must now wait (0: still within its budget). */
  record(address: string): Promise<number>;
}

/**
 * SPEC §11: failed authentications (a missing or wrong operator key or admin token) are
 * limited per client address, cluster-wide: `perSecond` per address and one-second window,
 * counted in Redis (`${REDIS_PREFIX}auth-failures:<address>`). An address over it is
 * remembered by the node that saw it go over until its window ends, so each further
 * request from it costs neither a Redis round trip nor a key lookup (src/http/auth.ts).
 * If Redis does not answer, each node counts on its own, as the request limiter does.
 */
export function createAuthFailures(deps: { redis: RedisClient; perSecond: number; logger: Logger }): AuthFailures {
  const shared = new RateLimiterRedis({
    storeClient: deps.redis,
    keyPrefix: 'auth-failures',
    points: deps.perSecond,
    duration: WINDOW_SECONDS,
    rejectIfRedisNotReady: true,
  });
  const local = new RateLimiterMemory({ keyPrefix: 'auth-failures', points: deps.perSecond, duration: WINDOW_SECONDS });
  const blockedUntil = new Map<string, number>();
  let lastFallbackLog = 0;

  async function consume(address: string): Promise<number> {
    try {
      await withTimeout(shared.consume(address), REDIS_TIMEOUT_MS).catch((error: unknown) => {
        if (error instanceof RateLimiterRes) throw error;
        rateLimitFallbacksTotal.inc();
        if (Date.now() - lastFallbackLog >= FALLBACK_LOG_INTERVAL_MS) {
          lastFallbackLog = Date.now();
          deps.logger.warn({ err: error }, 'auth failure limiter: Redis did not answer; counting per node until it does');
        }
        return local.consume(address);
      });
      return 0;
    } catch (error) {
      if (error instanceof RateLimiterRes) return Math.max(1, error.msBeforeNext);
      throw error;
    }
  }

  return {
    waitMs(address) {
      const until = blockedUntil.get(address);
      if (until === undefined) return 0;
      const left = until - Date.now();
      if (left > 0) return left;
      blockedUntil.delete(address);
      return 0;
    },
    async record(address) {
      const waitMs = await consume(address);
      if (waitMs > 0) {
        // Oldest first out (a Map keeps insertion order): the bound holds under any flood.
        if (blockedUntil.size >= MAX_BLOCKED_ADDRESSES) blockedUntil.delete(blockedUntil.keys().next().value!);
        blockedUntil.set(address, Date.now() + waitMs);
      }
      return waitMs;
    },
  };
}
