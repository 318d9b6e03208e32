import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimitFallbacksTotal, rateLimitedTotal } from '../shared/metrics.ts';
import { withTimeout } from '../shared/with-timeout.ts';
import { operatorTag, type RedisClient } from '../shared/redis.ts';
import { operatorOf } from '../modules/operators/request-operator.ts';
import { DomainError } from '../shared/errors.ts';
import { createTokenLeases, type Decision } from './token-leases.ts';

// How long the shared counter may take to answer before the request goes on without it.
// Generous: an overloaded node's event-loop lag counts against it too, and a disconnected
// Redis fails at once anyway (rejectIfRedisNotReady); this only bounds a hung one.
const REDIS_TIMEOUT_MS = 2_000;
// A Redis outage is logged at most this often per node (every request would hit it).
const FALLBACK_LOG_INTERVAL_MS = 10_000;
const WINDOW_SECONDS = 1;

interface Limiters {
  /** The cluster-wide counter: one key per operator and window, `${REDIS_PREFIX}rate-limit:{op:<operatorId>}` (operatorTag). */
  shared: RateLimiterRedis;
  /** This node's own counter, used only while Redis cannot answer. */
  local: RateLimiterMemory;
}

/** A refusal of the limiter is a RateLimiterRes; anything else it rejects with is a store failure. */
async function answerOf(consume: Promise<RateLimiterRes>): Promise<{ granted: boolean; msBeforeNext: number }> {
  try {
    const granted = await consume;
    return { granted: true, msBeforeNext: granted.msBeforeNext };
  } catch (error) {
    if (error instanceof RateLimiterRes) return { granted: false, msBeforeNext: error.msBeforeNext };
    throw error;
  }
}

/**
 * SPEC §3 rate limiting: requests per second per operator key, counted in Redis so that N
 * nodes share one budget (a fixed one-second window per operator). The limit is the
 * operator's `rateLimitPerSecond`, or `defaultPerSecond` (RATE_LIMIT_PER_SECOND). Over it:
 * 429 RATE_LIMITED with `Retry-After` in whole seconds. Mount after `operatorAuth`.
 * Each node takes tokens from the shared counter 1 % of the limit at a time (token-leases.ts),
 * so a busy operator does not cost a Redis round trip per request.
 *
 * If Redis does not answer (down, or slower than REDIS_TIMEOUT_MS) the request is never
 * refused for that: each node falls back to counting on its own against the same limit, so
 * a cluster of N nodes lets through at most N times the limit until Redis is back. The
 * fallback is logged (throttled) and counted in rgs_rate_limit_fallbacks_total.
 */
export function rateLimit(deps: { redis: RedisClient; defaultPerSecond: number; logger: Logger }): RequestHandler {
  // One limiter pair per distinct limit; they share their keys, so changing an operator's
  // limit keeps what it already used in the current window.
  const limiters = new Map<number, Limiters>();
  let lastFallbackLog = 0;

  function limitersFor(points: number): Limiters {
    let found = limiters.get(points);
    if (!found) {
      found = {
        shared: new RateLimiterRedis({
          // The client's keyPrefix (REDIS_PREFIX) is added by ioredis; ours only names the counter.
          storeClient: deps.redis,
          keyPrefix: 'rate-limit',
          points,
          duration: WINDOW_SECONDS,
          // Over the limit, this node answers 429 from memory until the window ends instead
          // of asking Redis again for every request of a flood.
          inMemoryBlockOnConsumed: points + 1,
          // A disconnected client fails at once instead of queueing the command.
          rejectIfRedisNotReady: true,
        }),
        local: new RateLimiterMemory({ keyPrefix: 'rate-limit', points, duration: WINDOW_SECONDS }),
      };
      limiters.set(points, found);
    }
    return found;
  }

  const fromLeases = createTokenLeases((operatorId, points, count) =>
    answerOf(withTimeout(limitersFor(points).shared.consume(operatorTag(operatorId), count), REDIS_TIMEOUT_MS)),
  );

  async function check(operatorId: string, points: number): Promise<Decision> {
    try {
      return await fromLeases(operatorId, points);
    } catch (error) {
      rateLimitFallbacksTotal.inc();
      if (Date.now() - lastFallbackLog >= FALLBACK_LOG_INTERVAL_MS) {
        lastFallbackLog = Date.now();
        deps.logger.warn({ err: error }, 'rate limiter: Redis did not answer; limiting per node until it does');
      }
      const local = await answerOf(limitersFor(points).local.consume(operatorId));
      return local.granted ? { allowed: true } : { allowed: false, msBeforeNext: local.msBeforeNext };
    }
  }

  return async (req, res, next) => {
    const operator = operatorOf(req);
    const limit = operator.rateLimitPerSecond ?? deps.defaultPerSecond;
    const decision = await check(operator.id, limit);
    if (decision.allowed) {
      next();
      return;
    }
    rateLimitedTotal.inc();
    const retryAfterSeconds = Math.max(1, Math.ceil(decision.msBeforeNext / 1000));
    res.setHeader('Retry-After', String(retryAfterSeconds));
    throw new DomainError(429, 'RATE_LIMITED', 'Too many requests', `over the limit of ${limit} requests per second; retry in ${retryAfterSeconds} s`, {
      retryAfterSeconds,
    });
  };
}
