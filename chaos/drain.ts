import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { ChaosOperator } from './operators.ts';
import type { SseFollower } from './sse-follower.ts';

// After the chaos: the wallet is healthy, nothing is killed any more; wait (bounded) until
// the product has finished on its own — every bet final or parked, every event relayed,
// every webhook delivered, every SSE client caught up. The checks come after, whether or
// not this finished: what is left undone is what they report.

const FINAL_OR_PARKED = "('won', 'lost', 'rejected', 'cancelled', 'parked')";

/** Redis stream ids (`ms-seq`) compare numerically, part by part. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

export interface DrainState {
  openBets: number;
  unrelayedEvents: number;
  pendingDeliveries: number;
  /** Events not yet accepted by their operator's receiver. */
  undeliveredWebhooks: number;
  /** Followers whose last id is not their operator's last stream id. */
  lagging: number;
}

export async function drainState(db: pg.Pool, operators: ChaosOperator[], followers: SseFollower[]): Promise<DrainState> {
  const [bets, events, deliveries] = await Promise.all([
    db.query<{ n: string }>(`SELECT count(*) AS n FROM bets WHERE status NOT IN ${FINAL_OR_PARKED}`),
    db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE relayed_at IS NULL'),
    db.query<{ n: string }>("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'"),
  ]);
  let undeliveredWebhooks = 0;
  let lagging = 0;
  for (const operator of operators) {
    const { rows } = await db.query<{ id: string; stream_id: string | null }>('SELECT id, stream_id FROM events WHERE operator_id = $1', [operator.id]);
    const accepted = new Set(operator.receiver.received.filter((hook) => hook.status === 200).map((hook) => hook.headers['x-rgs-event-id']));
    undeliveredWebhooks += rows.filter((row) => !accepted.has(row.id)).length;
    let last: string | undefined;
    for (const row of rows) if (row.stream_id && (!last || compareStreamIds(row.stream_id, last) > 0)) last = row.stream_id;
    for (const follower of followers.filter((each) => each.operatorId === operator.id)) if (last && follower.lastEventId !== last) lagging += 1;
  }
  return {
    openBets: Number(bets.rows[0]?.n ?? 0),
    unrelayedEvents: Number(events.rows[0]?.n ?? 0),
    pendingDeliveries: Number(deliveries.rows[0]?.n ?? 0),
    undeliveredWebhooks,
    lagging,
  };
}

const settled = (state: DrainState) => Object.values(state).every((value) => value === 0);

/** Polls until everything has settled or `boundMs` passed; returns the last state and the time it took. */
export async function drain(options: {
  db: pg.Pool;
  operators: ChaosOperator[];
  followers: SseFollower[];
  boundMs: number;
  log: (line: string) => void;
}): Promise<{ state: DrainState; ms: number }> {
  const startedAt = Date.now();
  let lastLog = 0;
  for (;;) {
    const state = await drainState(options.db, options.operators, options.followers);
    const ms = Date.now() - startedAt;
    if (settled(state) || ms > options.boundMs) return { state, ms };
    if (Date.now() - lastLog > 5_000) {
      lastLog = Date.now();
      options.log(`draining (${Math.round(ms / 1000)} s): ${JSON.stringify(state)}`);
    }
    await sleep(500);
  }
}
