import type { IncomingHttpHeaders } from 'node:http';
import type { DebitBody, SpyBody } from './schemas.ts';

// The wallet as an adversary (issue #17, SPEC §5): an operator's wallet that could see a
// bet's outcome while it still holds the stake could refuse exactly the winning debits.
// While the spy is on, the mock looks every debit's bet and round up through the
// operator API before it answers the debit, and counts a leak when either shows the
// outcome. Lookups are bounded in time and number, so a slow or dead RGS only costs a
// skipped lookup, never a wedged mock.

/** One lookup's time budget, all its requests together. */
const lookupTimeoutMs = 1_000;
/** Lookups in flight at once; a debit that finds them all busy is answered without one. */
const maxInFlight = 32;
const maxExamples = 10;
// Debits answered 200: after that the RGS may know the stake is taken, and showing the
// outcome is allowed. Bounded like the fault injector's memory of transaction ids.
const answeredLimit = 200_000;

export interface LeakExample {
  transactionId: string;
  betId: string;
  roundId: string;
  route: 'bets' | 'rounds';
  status: unknown;
  outcome: unknown;
  payout: unknown;
  at: string;
}

export interface SpyReport {
  enabled: boolean;
  /** Debits whose bet the spy found through the operator API. */
  lookups: number;
  /** Debits whose bet or round showed its outcome before the mock had answered the debit 200. */
  leaks: number;
  /** Debits not looked up: every lookup slot was busy. */
  skipped: number;
  /** Lookups that ended without finding the bet: timeout, no node answering, a non-200. */
  errors: number;
  examples: LeakExample[];
}

export interface OutcomeSpy {
  /** Replaces the configuration and starts a new count; `{}` turns the spy off. */
  configure(body: SpyBody): SpyReport;
  report(): SpyReport;
  isOn(): boolean;
  /** Looks the debit's bet up; resolves when done (within the time budget), never rejects. */
  observeDebit(headers: IncomingHttpHeaders, debit: DebitBody): Promise<void>;
  /** The mock answered this debit 200: from now on the RGS may know the stake is taken. */
  debitAnswered(transactionId: string): void;
  reset(): void;
}

interface SpyConfig {
  rgsUrls: string[];
  keys: Map<string, string>;
}

/** A view shows the outcome when it carries one, or a payout above 0 (SPEC §3: 0 until decided). */
export function showsOutcome(view: unknown): boolean {
  if (typeof view !== 'object' || view === null) return false;
  const { outcome, payout, bet } = view as { outcome?: unknown; payout?: unknown; bet?: { payout?: unknown } };
  if (outcome !== undefined && outcome !== null) return true;
  if (typeof payout === 'number' && payout > 0) return true;
  return typeof bet?.payout === 'number' && bet.payout > 0;
}

type Answer = { status: number; body: unknown } | { status: 'no-answer' };

export function createOutcomeSpy(options: { now?: () => number } = {}): OutcomeSpy {
  const now = options.now ?? Date.now;
  let config: SpyConfig | null = null;
  let counts = { lookups: 0, leaks: 0, skipped: 0, errors: 0 };
  let examples: LeakExample[] = [];
  let answered = new Set<string>();
  let inFlight = 0;
  let nextUrl = 0;

  /** GET through the first node that answers, starting with the next one in turn. */
  async function get(spy: SpyConfig, path: string, key: string, signal: AbortSignal): Promise<Answer> {
    const start = nextUrl++ % spy.rgsUrls.length;
    for (let offset = 0; offset < spy.rgsUrls.length && !signal.aborted; offset++) {
      const base = spy.rgsUrls[(start + offset) % spy.rgsUrls.length]!.replace(/\/+$/, '');
      try {
        const response = await fetch(`${base}${path}`, { headers: { 'x-operator-key': key }, signal });
        const text = await response.text();
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: only the status matters then
        }
        return { status: response.status, body };
      } catch {
        // refused, cut or timed out: the next node, while the budget lasts
      }
    }
    return { status: 'no-answer' };
  }

  /** The key of the operator the (signed) request names: X-Operator-Id is part of the signature (SPEC §6). */
  function keysFor(spy: SpyConfig, headers: IncomingHttpHeaders): string[] {
    const operatorId = headers['x-operator-id'];
    const key = typeof operatorId === 'string' ? spy.keys.get(operatorId) : undefined;
    return key === undefined ? [] : [key];
  }

  function recordLeak(debit: DebitBody, route: LeakExample['route'], view: unknown): void {
    counts.leaks += 1;
    if (examples.length >= maxExamples) return;
    const { status, outcome, payout } = (view ?? {}) as { status?: unknown; outcome?: unknown; payout?: unknown };
    examples.push({
      transactionId: debit.transactionId,
      betId: debit.betId,
      roundId: debit.roundId,
      route,
      status,
      outcome,
      payout,
      at: new Date(now()).toISOString(),
    });
  }

  async function lookUp(spy: SpyConfig, headers: IncomingHttpHeaders, debit: DebitBody): Promise<void> {
    const signal = AbortSignal.timeout(lookupTimeoutMs);
    // What a view shows once the mock has answered the debit 200 is allowed: the RGS may
    // have committed the debit by then. Only what was shown before that is a leak.
    const leaked = (view: unknown) => showsOutcome(view) && !answered.has(debit.transactionId);
    for (const key of keysFor(spy, headers)) {
      const bet = await get(spy, `/bets/${encodeURIComponent(debit.betId)}`, key, signal);
      if (bet.status === 404) continue;
      if (bet.status !== 200) break;
      counts.lookups += 1;
      if (leaked(bet.body)) return recordLeak(debit, 'bets', bet.body);
      const round = await get(spy, `/rounds/${encodeURIComponent(debit.roundId)}`, key, signal);
      if (round.status === 200 && leaked(round.body)) recordLeak(debit, 'rounds', round.body);
      return;
    }
    counts.errors += 1;
  }

  const report = (): SpyReport => ({ enabled: config !== null, ...counts, examples: [...examples] });

  return {
    configure(body) {
      config =
        body.rgsUrl === undefined || body.keys === undefined
          ? null
          : { rgsUrls: Array.isArray(body.rgsUrl) ? body.rgsUrl : [body.rgsUrl], keys: new Map(Object.entries(body.keys)) };
      counts = { lookups: 0, leaks: 0, skipped: 0, errors: 0 };
      examples = [];
      return report();
    },
    report,
    isOn: () => config !== null,
    async observeDebit(headers, debit) {
      const spy = config;
      if (spy === null) return;
      if (inFlight >= maxInFlight) {
        counts.skipped += 1;
        return;
      }
      inFlight += 1;
      try {
        await lookUp(spy, headers, debit);
      } catch {
        counts.errors += 1;
      } finally {
        inFlight -= 1;
      }
    },
    debitAnswered(transactionId) {
      if (config === null) return;
      answered.add(transactionId);
      if (answered.size > answeredLimit) answered.delete(answered.values().next().value as string);
    },
    reset() {
      config = null;
      counts = { lookups: 0, leaks: 0, skipped: 0, errors: 0 };
      examples = [];
      answered = new Set();
    },
  };
}
