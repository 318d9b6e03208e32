import type { RedisClient } from '../../shared/redis.ts';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { registry } from '../../shared/metrics.ts';
import { channelName } from '../../shared/redis.ts';
import type { BetRecord } from './bet-view.ts';

// SPEC §3: POST /bets answers 201 once the money is decided, whichever node decides it.
// Instead of each waiting request polling Postgres, the runtime announces every bet whose
// money it decides: the requests waiting on this node get the record itself, the other
// nodes the bet id through one Redis channel every node subscribes to once.
//
// A bet decided by the first attempts of the request that placed it (nearly every bet) is
// announced on this node only: that request waits here. Only a repeat of the request sent
// to another node meanwhile could wait elsewhere, and such a repeat also reads the bet again
// while it waits (service.ts). Published, each of those bets cost a PUBLISH and woke every
// other node to find no waiter: at light load one Redis round trip and one wake-up per
// other node per bet. Bets decided by a job (after an attempt without an answer) are
// published: the request that waits for them may be on any node.

const CHANNEL = 'bets:decided';
// Ids per message: one message stays a few tens of KB.
const IDS_PER_MESSAGE = 1_000;
// Announcements waiting for Redis (down, or slow): past this many the oldest are dropped;
// a request that misses its notification answers 202 at its deadline, never a wrong answer.
const MAX_UNPUBLISHED = 100_000;

export const betResponseWaitsTotal = new Counter({
  name: 'rgs_bet_response_waits_total',
  help: 'POST /bets answers by what ended their wait (settled_in_request, decided_here, decided_elsewhere, already_decided, not_in_time)',
  labelNames: ['ended_by'] as const,
  registers: [registry],
});

/** What ended one request's wait for its bet's money to be decided. */
export type WaitEnd = 'settled_in_request' | 'decided_here' | 'decided_elsewhere' | 'already_decided' | 'not_in_time';

export interface BetWatch {
  /**
   * Resolves by `deadline`: the decided bet when this node decided it, `'elsewhere'` when
   * another node announced it (read it once), or undefined when nothing came in time.
   * An announcement that came after `watch` and before this call counts.
   */
  until(deadline: number): Promise<BetRecord | 'elsewhere' | undefined>;
  /** Stops watching; call once the answer is known. */
  close(): void;
}

export interface DecidedBets {
  /** Starts watching a bet: call before anything could decide it, then `until`. */
  watch(betId: string): BetWatch;
  /**
   * The runtime just committed the decision of this bet's money (an accepted transition
   * into a decided state); `inRequest`: by the placing request's own attempts, on this node
   * (not published).
   */
  announce(bet: BetRecord, inRequest: boolean): void;
  close(): Promise<void>;
}

/**
 * Waits for decided bets, on this node and across the cluster. `subscriber` is the node's
 * one subscriber connection (ioredis resubscribes it after a reconnect); `redis` publishes.
 */
export function createDecidedBets(deps: { redis: RedisClient; subscriber: RedisClient; redisPrefix: string; logger: Logger }): DecidedBets {
  const channel = channelName(deps.redisPrefix, CHANNEL);
  const watchers = new Map<string, Set<(decided: BetRecord | 'elsewhere') => void>>();
  const unpublished: string[] = [];
  let publishing: Promise<void> | undefined;

  function wake(betId: string, decided: BetRecord | 'elsewhere'): void {
    const waiting = watchers.get(betId);
    if (!waiting) return;
    watchers.delete(betId);
    for (const resolve of waiting) resolve(decided);
  }

  // Ids from every node, this one's included (its own waiters were woken already, so those find none).
  const onMessage = (received: string, message: string) => {
    if (received !== channel || watchers.size === 0) return;
    for (const betId of message.split(',')) wake(betId, 'elsewhere');
  };
  // After a reconnect, announcements made while the connection was down are lost: every
  // waiter reads its bet once instead.
  const onReady = () => {
    for (const betId of [...watchers.keys()]) wake(betId, 'elsewhere');
  };
  void deps.subscriber.subscribe(channel).catch((error: unknown) => deps.logger.warn({ err: error }, 'decided bets: subscribe failed; waits end at their deadline'));
  deps.subscriber.on('message', onMessage);
  deps.subscriber.on('ready', onReady);

  // One PUBLISH in flight per node; ids announced meanwhile go together in the next one, so
  // under load a message carries many bets and a quiet node publishes at once.
  async function publishAll(): Promise<void> {
    while (unpublished.length > 0) {
      const ids = unpublished.splice(0, IDS_PER_MESSAGE);
      await deps.redis.publish(channel, ids.join(',')).catch((error: unknown) => {
        deps.logger.warn({ err: error, count: ids.length }, 'decided bets: publish failed; waiters on other nodes answer at their deadline');
      });
    }
    publishing = undefined;
  }

  return {
    watch(betId) {
      let resolveDecided: (decided: BetRecord | 'elsewhere') => void = () => undefined;
      const decided = new Promise<BetRecord | 'elsewhere'>((resolve) => (resolveDecided = resolve));
      let waiting = watchers.get(betId);
      if (!waiting) watchers.set(betId, (waiting = new Set()));
      waiting.add(resolveDecided);
      const close = () => {
        const set = watchers.get(betId);
        if (!set?.delete(resolveDecided)) return;
        if (set.size === 0) watchers.delete(betId);
      };
      return {
        async until(deadline) {
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
          });
          try {
            return await Promise.race([decided, timedOut]);
          } finally {
            clearTimeout(timer);
          }
        },
        close,
      };
    },

    announce(bet, inRequest) {
      wake(bet.id, bet);
      if (inRequest) return;
      if (unpublished.length >= MAX_UNPUBLISHED) unpublished.splice(0, IDS_PER_MESSAGE);
      unpublished.push(bet.id);
      publishing ??= publishAll();
    },

    async close() {
      deps.subscriber.off('message', onMessage);
      deps.subscriber.off('ready', onReady);
      await publishing;
    },
  };
}
