import { Counter, Gauge } from 'prom-client';
import { registry } from '../../shared/metrics.ts';

/** Ends one wallet call's hold on its operator's place (once; later calls do nothing). */
export type ReleaseWalletCall = () => void;

export interface WalletCallBounds {
  /** A place for one call of the operator's wallet now, or undefined when its calls are at the bound. */
  take(operatorId: string): ReleaseWalletCall | undefined;
  /**
   * A place as soon as one of the operator's calls ends, in arrival order; undefined when
   * its waiting line is full or none frees up within `maxWaitMs`. Only for a caller that
   * holds nothing else meanwhile (a request, never a queue job: it would hold a worker).
   */
  wait(operatorId: string): Promise<ReleaseWalletCall | undefined>;
  /** A call that got no place is not made; the same attempt is tried again after this long (jittered). */
  retryDelayMs(): number;
  /** Counts a call that got no place and goes through the queue instead. */
  deferred(operatorId: string): void;
}

interface OperatorCalls {
  inFlight: number;
  waiting: { grant: (release: ReleaseWalletCall | undefined) => void; timer: NodeJS.Timeout }[];
}

// A line this many times the bound deep absorbs a burst of a healthy wallet; past it, and
// for a wallet whose calls hang, calls go through the queue instead of piling up here.
const WAITING_PER_PLACE = 4;

// Every set of bounds of the process (a node has one), read by the gauges at scrape time:
// the hot path only counts in its map.
const allBounds: Map<string, OperatorCalls>[] = [];

function sumPerOperator(count: (calls: OperatorCalls) => number): Map<string, number> {
  const sums = new Map<string, number>();
  for (const bounds of allBounds) for (const [operator, calls] of bounds) sums.set(operator, (sums.get(operator) ?? 0) + count(calls));
  return sums;
}

new Gauge({
  name: 'rgs_wallet_calls_in_flight',
  help: 'Wallet calls this node has in flight, per operator (at most WALLET_CALLS_PER_OPERATOR)',
  labelNames: ['operator'] as const,
  registers: [registry],
  collect() {
    for (const [operator, value] of sumPerOperator((calls) => calls.inFlight)) this.set({ operator }, value);
  },
});

new Gauge({
  name: 'rgs_wallet_calls_waiting',
  help: "Wallet calls of POST /bets waiting on this node for a place among their operator's calls",
  labelNames: ['operator'] as const,
  registers: [registry],
  collect() {
    for (const [operator, value] of sumPerOperator((calls) => calls.waiting.length)) this.set({ operator }, value);
  },
});

const deferredTotal = new Counter({
  name: 'rgs_wallet_calls_deferred_total',
  help: 'Wallet calls not made because their operator had WALLET_CALLS_PER_OPERATOR in flight; their attempt was queued for later',
  labelNames: ['operator'] as const,
  registers: [registry],
});

/**
 * SPEC §6, issue #17 point 13: one operator's wallet cannot hold all of a node's wallet
 * calls. Each node lets at most `perOperator` calls of one operator's wallet be in flight
 * at once (WALLET_CALLS_PER_OPERATOR), whatever kind and whoever makes them; a wallet that
 * hangs keeps at most that many of this node's calls hanging, and the other operators'
 * calls never wait behind them.
 */
export function createWalletCallBounds(settings: { perOperator: number; maxWaitMs: number }): WalletCallBounds {
  const operatorCalls = new Map<string, OperatorCalls>();
  allBounds.push(operatorCalls);

  function callsOf(operatorId: string): OperatorCalls {
    let calls = operatorCalls.get(operatorId);
    if (!calls) operatorCalls.set(operatorId, (calls = { inFlight: 0, waiting: [] }));
    return calls;
  }

  function placeIn(calls: OperatorCalls): ReleaseWalletCall {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The place passes to the first in line, if any: it never goes back below the bound in between.
      const next = calls.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.grant(placeIn(calls));
        return;
      }
      calls.inFlight -= 1;
    };
  }

  return {
    take(operatorId) {
      const calls = callsOf(operatorId);
      if (calls.inFlight >= settings.perOperator) return undefined;
      calls.inFlight += 1;
      return placeIn(calls);
    },

    wait(operatorId) {
      const calls = callsOf(operatorId);
      if (calls.inFlight < settings.perOperator) {
        calls.inFlight += 1;
        return Promise.resolve(placeIn(calls));
      }
      if (calls.waiting.length >= settings.perOperator * WAITING_PER_PLACE) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const entry = {
          grant: resolve,
          timer: setTimeout(() => {
            calls.waiting.splice(calls.waiting.indexOf(entry), 1);
            resolve(undefined);
          }, settings.maxWaitMs),
        };
        calls.waiting.push(entry);
      });
    },

    retryDelayMs: () => Math.round(settings.maxWaitMs * (1 + Math.random() / 2)),

    deferred(operatorId) {
      deferredTotal.inc({ operator: operatorId });
    },
  };
}
