import { seededRandom } from './random.ts';

// What goes wrong, and when: a list of disruptions placed on the bet counter (not the
// clock), derived from the seed alone, so one seed gives one schedule on any machine.
// Node kills, the SIGTERM and the Redis restart (or failover) are spread over the middle of the load;
// wallet latency changes, SSE cuts and webhook receiver outages are sprinkled over all of it.

export type ChaosAction =
  | { kind: 'sigkill'; slot: number; downMs: number }
  | { kind: 'sigterm'; slot: number; downMs: number }
  | { kind: 'redis-restart'; downMs: number }
  | { kind: 'redis-failover' }
  | { kind: 'wallet-latency'; latencyMs: { debit: number; credit: number; rollback: number }; faultSeed: number }
  | { kind: 'sse-cut'; follower: number }
  | { kind: 'webhook-outage'; operator: number; failures: number };

export interface ScheduledAction {
  /** Runs once this many bets have been started. */
  atBet: number;
  action: ChaosAction;
}

export function chaosSchedule(options: {
  seed: number;
  bets: number;
  nodes: number;
  kills: number;
  sigterms: number;
  redisRestarts: number;
  /** Masters of a Redis Cluster to kill (their replicas take over). */
  redisFailovers: number;
  followers: number;
  maxLatencyMs: number;
}): ScheduledAction[] {
  const random = seededRandom(options.seed, 'schedule');
  const { bets } = options;
  const actions: ScheduledAction[] = [];

  // The big disruptions, in a seeded order, evenly spaced between 10 % and 85 % of the
  // bets with some jitter, so each one's recovery overlaps live load.
  const big: ChaosAction[] = [
    ...Array.from({ length: options.kills }, (): ChaosAction => ({ kind: 'sigkill', slot: random.int(0, options.nodes - 1), downMs: random.int(200, 2_000) })),
    ...Array.from({ length: options.sigterms }, (): ChaosAction => ({ kind: 'sigterm', slot: random.int(0, options.nodes - 1), downMs: random.int(200, 1_000) })),
    ...Array.from({ length: options.redisRestarts }, (): ChaosAction => ({ kind: 'redis-restart', downMs: random.int(300, 1_500) })),
    ...Array.from({ length: options.redisFailovers }, (): ChaosAction => ({ kind: 'redis-failover' })),
  ];
  for (let i = big.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [big[i], big[j]] = [big[j]!, big[i]!];
  }
  const span = 0.75 / Math.max(1, big.length);
  big.forEach((action, position) => {
    const at = 0.1 + span * (position + 0.25 + random.next() * 0.5);
    actions.push({ atBet: Math.floor(bets * at), action });
  });

  const sprinkle = (every: number, make: () => ChaosAction) => {
    for (let at = random.int(1, every); at < bets; at += random.int(Math.ceil(every / 2), every + Math.ceil(every / 2))) {
      actions.push({ atBet: at, action: make() });
    }
  };
  const latency = () => random.int(0, options.maxLatencyMs);
  sprinkle(Math.max(20, Math.floor(bets / 20)), () => ({
    kind: 'wallet-latency',
    latencyMs: { debit: latency(), credit: latency(), rollback: latency() },
    faultSeed: random.seed(),
  }));
  if (options.followers > 0) sprinkle(Math.max(20, Math.floor(bets / 30)), () => ({ kind: 'sse-cut', follower: random.int(0, options.followers - 1) }));
  sprinkle(Math.max(50, Math.floor(bets / 4)), () => ({ kind: 'webhook-outage', operator: random.int(0, 1), failures: random.int(5, 50) }));

  return actions.sort((a, b) => a.atBet - b.atBet);
}
