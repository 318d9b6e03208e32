/** How much of a limit one node takes from the shared counter at a time. */
const LEASE_SHARE = 0.01;

/** Tokens per lease: 1 % of the limit, at least one (so a limit under 200 is counted one by one). */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.floor(limit * LEASE_SHARE));
}

export type Decision = { allowed: true } | { allowed: false; msBeforeNext: number };

/** What the shared counter answered for `count` tokens: granted or not, and when its window ends. */
export type TakeFromShared = (key: string, limit: number, count: number) => Promise<{ granted: boolean; msBeforeNext: number }>;

interface Lease {
  limit: number;
  tokens: number;
  /** The end of the shared window the tokens were taken in (ms since the epoch). */
  until: number;
  refused: boolean;
}

/**
 * Tokens a node takes from the cluster-wide counter several at a time and then hands out
 * itself, so a busy operator costs one Redis call per `leaseSize(limit)` requests instead
 * of one per request. Every token is counted in the shared counter before it is handed
 * out, so the cluster never lets through more than the limit in a window. The price: near
 * the end of a window a node may refuse while another node still holds unused tokens, so
 * up to nodes × (leaseSize − 1) requests (1 % of the limit per node) can be refused early.
 * A lease dies with its window. Only one refill per key is in flight; the requests that
 * arrive meanwhile wait for it.
 */
export function createTokenLeases(takeFromShared: TakeFromShared): (key: string, limit: number) => Promise<Decision> {
  const leases = new Map<string, Lease>();
  const refills = new Map<string, Promise<void>>();

  async function refill(key: string, limit: number): Promise<void> {
    const count = leaseSize(limit);
    const answer = await takeFromShared(key, limit, count);
    leases.set(key, {
      limit,
      tokens: answer.granted ? count : 0,
      until: Date.now() + answer.msBeforeNext,
      refused: !answer.granted,
    });
  }

  /** From the current lease if it can decide; undefined if a refill is needed. */
  function fromLease(key: string, limit: number, evenIfExpired: boolean): Decision | undefined {
    const lease = leases.get(key);
    const now = Date.now();
    if (!lease || lease.limit !== limit || (now >= lease.until && !evenIfExpired)) return undefined;
    if (lease.tokens > 0) {
      lease.tokens -= 1;
      return { allowed: true };
    }
    return lease.refused ? { allowed: false, msBeforeNext: Math.max(0, lease.until - now) } : undefined;
  }

  return async function acquire(key: string, limit: number): Promise<Decision> {
    for (;;) {
      const decided = fromLease(key, limit, false);
      if (decided) return decided;
      let pending = refills.get(key);
      if (!pending) {
        pending = refill(key, limit).finally(() => refills.delete(key));
        refills.set(key, pending);
      }
      // A failed refill (Redis down or slow) rejects every waiter: the caller decides what then.
      await pending;
      // The refill's own answer decides even if its window has ended meanwhile; if other
      // waiters took all its tokens, go round again for another lease.
      const answered = fromLease(key, limit, true);
      if (answered) return answered;
    }
  };
}
