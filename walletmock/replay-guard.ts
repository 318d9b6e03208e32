/**
 * Remembers the request ids of accepted requests until their timestamp leaves the
 * acceptance window, after which the timestamp check alone refuses a replay (SPEC §6).
 * Memory is therefore bounded by request rate × window.
 */
export interface ReplayGuard {
  /** true if the id was seen before; otherwise remembers it until `expiresAt` (unix ms). */
  seen(requestId: string, expiresAt: number, now: number): boolean;
}

export function createReplayGuard(): ReplayGuard {
  // A Map iterates in insertion order, and ids arrive in roughly expiry order, so
  // expired ids are swept from the front in amortised O(1) per request, with no timer.
  // An id whose client clock ran ahead can hold the sweep back for at most its own
  // (bounded) lifetime; that only delays reclaiming memory, never forgets an id early.
  const expiries = new Map<string, number>();

  return {
    seen(requestId, expiresAt, now) {
      for (const [oldId, oldExpiry] of expiries) {
        // Still acceptable at exactly its expiry ms, so kept until strictly past it.
        if (oldExpiry >= now) break;
        expiries.delete(oldId);
      }
      if (expiries.has(requestId)) return true;
      expiries.set(requestId, expiresAt);
      return false;
    },
  };
}
